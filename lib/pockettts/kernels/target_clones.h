// Functions compiled for several instruction sets and chosen when the library loads (GCC's
// target_clones, an ifunc). ThreadSanitizer instruments the ifunc's resolver, which the dynamic
// loader runs before TSan is initialised (a crash at start-up): TSan builds keep the default
// version only.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define POCKETTTS_TARGET_CLONES(...)
#else
#define POCKETTTS_TARGET_CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#endif
