package io.nbdflow.web;

import io.nbdflow.host.HostCheck;
import io.nbdflow.host.HostReport;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * Every configured host, checked now (see {@link HostCheck}): 200 with one report per host, also
 * when some cannot be reached (those say so, with the reason).
 */
@RestController
public class HostController {
    private final HostCheck check;

    public HostController(HostCheck check) {
        this.check = check;
    }

    @GetMapping("/api/hosts")
    public List<HostReport> hosts() {
        return check.all();
    }
}
