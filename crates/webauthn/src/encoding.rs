//! Base64url as WebAuthn's JSON encodings use it.
//!
//! Decoding is lenient about two things real clients get wrong and that change
//! no byte that is signed: `=` padding and the standard alphabet (`+`, `/`).
//! Stray bits in the last character are ignored too (some libraries send
//! word-like ids such as `internalUserId`): checks compare decoded bytes, and
//! what is signed is clientDataJSON as sent, so the spelling proves nothing.
//! Encoding is always unpadded base64url, as Level 3 specifies.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

const LENIENT_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url (or standard base64), with or without padding.
///
/// Returns `None` when the text is neither.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    LENIENT_URL
        .decode(text)
        .ok()
        .or_else(|| LENIENT_STANDARD.decode(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_padding_and_standard_alphabet() {
        assert_eq!(decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(decode("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(decode("+/8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(decode("not base64!"), None);
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }
}
