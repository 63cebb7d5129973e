package io.nbdflow.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A series of measurements in milliseconds: median, min, max. */
final class Samples {
    private final List<Long> values = new ArrayList<>();

    void add(long value) {
        values.add(value);
    }

    int count() {
        return values.size();
    }

    double median() {
        List<Long> sorted = sorted();
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    long min() {
        return sorted().get(0);
    }

    long max() {
        return sorted().get(values.size() - 1);
    }

    /** "median (min-max)", e.g. "1312 (1290-1405)". */
    String summary() {
        return values.isEmpty() ? "-" : String.format("%.0f (%d-%d)", median(), min(), max());
    }

    private List<Long> sorted() {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted;
    }
}
