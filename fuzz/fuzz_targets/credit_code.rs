#![no_main]

use libfuzzer_sys::fuzz_target;
use qiao_core::CreditCode;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = CreditCode::parse(text) {
        // A parsed code is canonical: parsing it again changes nothing.
        assert_eq!(CreditCode::parse(code.as_str()).as_ref(), Ok(&code));
        assert_eq!(code.as_str().len(), 18);
    }
    if let Some(code) = CreditCode::complete(text) {
        assert!(code.as_str().starts_with(text));
    }
});
