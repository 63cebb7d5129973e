package io.nbdflow.domain;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The domain API under /api/domains (README, "Domains"); errors are mapped in io.nbdflow.web. */
@RestController
@RequestMapping("/api/domains")
public class DomainController {

    private final DomainService domains;
    private final DomainConsole console;

    public DomainController(DomainService domains, DomainConsole console) {
        this.domains = domains;
        this.console = console;
    }

    @PutMapping("/{name}")
    public DomainView define(@PathVariable String name, @RequestBody DefineRequest request) {
        return domains.define(name, request);
    }

    @PostMapping("/{name}/start")
    public DomainView start(@PathVariable String name) {
        return domains.start(name);
    }

    @PostMapping("/{name}/stop")
    public DomainView stop(@PathVariable String name) {
        return domains.stop(name);
    }

    @GetMapping
    public List<DomainView> list() {
        return domains.list();
    }

    @GetMapping("/{name}")
    public DomainView get(@PathVariable String name) {
        return domains.get(name);
    }

    /** The end of the domain's serial console as UTF-8 text; errors stay JSON, so no produces= here. */
    @GetMapping("/{name}/console")
    public ResponseEntity<String> console(@PathVariable String name,
                                          @RequestParam(name = "kib", required = false) String kib) {
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                .body(console.tail(name, kib));
    }
}
