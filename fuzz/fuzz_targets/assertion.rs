//! Assertions: the input as `AuthenticationResponseJSON`, as authenticator data and as a COSE key.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keybound_webauthn_fuzz::assertion(data);
});
