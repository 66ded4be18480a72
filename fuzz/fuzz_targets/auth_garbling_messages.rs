#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = yao_fuzz::auth_garbling_messages(data);
});
