//! Registration responses: the input as `RegistrationResponseJSON`, then as the attestation object of one.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keybound_webauthn_fuzz::registration(data);
});
