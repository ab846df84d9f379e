package dev.diffusion4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.testing.Tensors;
import org.junit.jupiter.api.Test;

/** The allocator's counters follow tensors being made and freed, and a trim gives free pages back. */
class NativeMemoryTest {
    @Test
    void countersFollowATensorAndTrimReleasesItsPages() {
        Djl.engine();
        assumeTrue(NativeMemory.tuned(), NativeMemory.status());
        try (NDManager m = Tensors.manager(1)) {
            NativeMemory.AllocatorStats before = NativeMemory.allocatorStats();
            assertThat(before).isNotNull();
            long bytes = 24L << 20; // under the 32 MiB mmap threshold: served by the heap
            try (NDManager s = m.newSubManager()) {
                s.ones(new Shape(bytes / 4)); // ones: every page touched
                NativeMemory.AllocatorStats held = NativeMemory.allocatorStats();
                assertThat(held.inUse() - before.inUse()).isGreaterThan(bytes * 9 / 10);
            }
            NativeMemory.AllocatorStats freed = NativeMemory.allocatorStats();
            assertThat(freed.inUse() - before.inUse()).isLessThan(bytes / 2);
            // freed but resident (trimming is off); a trim hands the pages back
            long resident = NativeMemory.residentBytes();
            assertThat(NativeMemory.trim()).isTrue();
            assertThat(NativeMemory.residentBytes()).isLessThan(resident - bytes / 2);
        }
    }
}
