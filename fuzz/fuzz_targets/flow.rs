#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| regauth_core::fuzzing::flow(data));
