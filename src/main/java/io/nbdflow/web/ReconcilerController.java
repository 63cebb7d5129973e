package io.nbdflow.web;

import io.nbdflow.application.Reconciler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/** What the reconciler found and did in its last runs, newest first (see {@link Reconciler}). */
@RestController
public class ReconcilerController {
    private final Reconciler reconciler;

    public ReconcilerController(Reconciler reconciler) {
        this.reconciler = reconciler;
    }

    @GetMapping("/api/reconciler")
    public List<Reconciler.Run> runs() {
        return reconciler.runs();
    }
}
