#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = yao_fuzz::preprocess_messages(data);
});
