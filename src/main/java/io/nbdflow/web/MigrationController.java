package io.nbdflow.web;

import io.nbdflow.application.MigrateCommand;
import io.nbdflow.application.MigrationService;
import io.nbdflow.application.MigrationView;
import io.nbdflow.application.ProgressText;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The migration API: start, follow and abort storage migrations (see {@link MigrationService}). */
@RestController
public class MigrationController {
    private final MigrationService migrations;

    public MigrationController(MigrationService migrations) {
        this.migrations = migrations;
    }

    @PostMapping("/api/domains/{name}/migrate")
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, String> migrate(@PathVariable String name, @RequestBody MigrateCommand request) {
        return Map.of("processInstanceId", migrations.start(name, request));
    }

    @PostMapping("/api/migrations/{id}/abort")
    @ResponseStatus(HttpStatus.ACCEPTED)
    public Map<String, Object> abort(@PathVariable String id) {
        migrations.abort(id);
        return Map.of("processInstanceId", id, "abortRequested", true);
    }

    @GetMapping("/api/migrations/{id}")
    public MigrationView status(@PathVariable String id) {
        return migrations.status(id);
    }

    /** The same as text, as the launcher draws it: the progress block, then the result once it ended. */
    @GetMapping(value = "/api/migrations/{id}/progress", produces = MediaType.TEXT_PLAIN_VALUE)
    public String progress(@PathVariable String id) {
        MigrationView m = migrations.status(id);
        List<String> lines = new ArrayList<>(ProgressText.progress(m));
        lines.addAll(ProgressText.result(m));
        return String.join("\n", lines) + "\n";
    }
}
