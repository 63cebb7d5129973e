package io.nbdflow.host;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GuestMemoryTest {

    @Test
    void theResidentPartOfTheMappingOfExactlyTheGuestsSize() {
        String smaps = """
                5600c8ac0000-5600c9898000 rw-p 00000000 00:00 0                          [heap]
                Size:              14176 kB
                Rss:                3392 kB
                7f57afe00000-7f57b7e00000 rw-p 00000000 00:00 0
                Size:             131072 kB
                KernelPageSize:        4 kB
                Rss:                6144 kB
                7f57b8000000-7f57f7fff000 rwxp 00000000 00:00 0
                Size:            1048572 kB
                Rss:                2048 kB
                """;
        assertThat(GuestMemory.residentOfMappingSized(smaps, 128L << 20)).hasValue(6144L * 1024);
        assertThat(GuestMemory.residentOfMappingSized(smaps, 256L << 20)).isEmpty();
    }
}
