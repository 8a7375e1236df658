// Handing freed heap memory back to the system after work with big temporaries (a voice prompt
// through Mimi's encoder, a finished generation).
//
// glibc's malloc raises its mmap and trim thresholds each time a big mmapped block is freed, so
// later temporaries of a few MB come from the heap and stay resident after they are freed:
// resident memory creeps up by tens of MB per voice prompt. malloc_trim returns those pages.
#pragma once

namespace pockettts {

// Best effort; does nothing where the C library has no malloc_trim.
void release_free_heap();

}  // namespace pockettts
