#ifndef KCONV_FUZZ_DRIVER_H
#define KCONV_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (libclang_rt.fuzzer_no_main, linked by Tools/fuzz.sh): parses libFuzzer's
/// options from argv and runs `callback` on every input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
