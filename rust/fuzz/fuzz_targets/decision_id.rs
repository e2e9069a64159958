//! The core's own BLAKE2b, through `decision_id`, against the `blake2` crate: the same
//! id for any customer, intent and ref, of any length.
#![no_main]

use blake2::digest::{Update, VariableOutput};
use blake2::Blake2bVar;
use libfuzzer_sys::fuzz_target;
use outreach_core::arbitration::decision_id;

fuzz_target!(|input: (String, String, Option<String>)| {
    let (customer, intent, reference) = input;
    let id = decision_id(&customer, &intent, reference.as_deref());
    let mut hasher = Blake2bVar::new(10).expect("10 bytes is a BLAKE2b size");
    for piece in [
        customer.as_bytes(),
        b"\x1f",
        intent.as_bytes(),
        b"\x1f",
        reference.as_deref().unwrap_or("").as_bytes(),
    ] {
        hasher.update(piece);
    }
    let mut digest = [0u8; 10];
    hasher
        .finalize_variable(&mut digest)
        .expect("the buffer is 10 bytes");
    let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(id, format!("d-{expected}"));
});
