//! Auth.js session tokens as the libraries write them, so that an app's own
//! server (`auth()`, `getServerSession()`, its middleware) reads the mock's
//! cookies, and the mock reads the app's.
//!
//! Every fact here is from the libraries' sources (the tags read are named):
//!
//! - **v5** (`@auth/core@0.41.3`, `packages/core/src/jwt.ts`): a compact
//!   JWE, `alg: "dir"`, `enc: "A256CBC-HS512"`, protected header exactly
//!   `{"alg","enc","kid"}`. The key is HKDF-SHA256(ikm = the secret, salt =
//!   the session cookie's name, info = `Auth.js Generated Encryption Key
//!   (<salt>)`), 64 bytes (32 for `A256GCM`, which decode also accepts).
//!   `kid` is the RFC 7638 thumbprint of `{"k":<key>,"kty":"oct"}` under
//!   SHA-512 (SHA-256 for a 32-byte key). Encode uses the first secret;
//!   decode the one whose thumbprint is the `kid`, or the first when the
//!   token has none. Claims get `iat`, `exp` and a random `jti`.
//! - **v4** (`next-auth@4.24.15`, `packages/next-auth/src/jwt/index.ts`):
//!   `alg: "dir"`, `enc: "A256GCM"`, no `kid`; the key is HKDF-SHA256(ikm =
//!   the secret, salt = "", info = `NextAuth.js Generated Encryption Key`),
//!   32 bytes.
//! - Both decode with a clock tolerance of 15 s (jose's `clockTolerance`):
//!   a token is expired when `exp <= now - 15`.
//!
//! The primitives are well-kept crates' (RustCrypto's `aes` + `cbc`,
//! `aes-gcm`, `hkdf`, `sha2`; ring's HMAC-SHA-512, the fastest here); this
//! module only puts them together as RFC 7516 and RFC 7518 §5.2 say, and
//! the tests hold it to the RFC's own example and to what jose and
//! @auth/core write.

use std::sync::{Arc, PoisonError, RwLock};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

/// Which library's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// Auth.js v5 / @auth/core.
    V5,
    /// next-auth v4.
    V4,
}

/// jose's `clockTolerance` in both versions, in seconds.
pub(crate) const CLOCK_TOLERANCE: i64 = 15;
const V4_INFO: &[u8] = b"NextAuth.js Generated Encryption Key";
const CBC: &str = "A256CBC-HS512";
const GCM: &str = "A256GCM";

/// Why a token is not a session (never shown with the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not five base64url parts, or a header that is not `dir` with a
    /// known `enc`.
    Malformed,
    /// No configured secret's key has the token's `kid`.
    NoKey,
    /// The tag does not verify or the padding is wrong: tampered, cut, or
    /// another secret's.
    Decryption,
    /// The plaintext is not a JSON object of claims, or a time claim is not
    /// a number.
    Claims,
    /// Past `exp` (beyond the tolerance), or before `nbf`.
    Expired,
}

/// A derived key, its thumbprint, and what every token under it shares.
#[derive(Clone)]
struct Key {
    bytes: Vec<u8>,
    kid: String,
    /// The base64url protected header a token under this key carries
    /// (`{"alg":"dir","enc":...,"kid":...}`): read by comparison, written
    /// as is.
    protected: String,
    /// HMAC-SHA-512 keyed with the MAC half (ring's, which keeps the
    /// keyed state: not keyed again per token).
    mac: ring::hmac::Key,
}

/// A salt, a key length, and one key per secret in order.
type SaltKeys = (String, usize, Arc<[Key]>);

/// The secrets, and the keys derived from them, by salt and length.
pub(crate) struct Codec {
    secrets: Vec<String>,
    /// v5 keys: (salt, key length, one key per secret in order). Salts are
    /// cookie names, a handful: a list is the fastest map.
    v5: RwLock<Vec<SaltKeys>>,
    /// v4 keys, one per secret.
    v4: Vec<[u8; 32]>,
}

/// Shows how many secrets, never one.
impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

fn hkdf(secret: &str, salt: &[u8], info: &[u8], out: &mut [u8]) {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(salt), secret.as_bytes());
    // Only fails for an output over 255 hash lengths; ours are 32 or 64.
    let _ = hk.expand(info, out);
}

/// RFC 7638 thumbprint of a symmetric key, as jose's
/// `calculateJwkThumbprint({kty: "oct", k}, "sha<bits>")`.
fn thumbprint(key: &[u8]) -> String {
    let jwk = format!(r#"{{"k":"{}","kty":"oct"}}"#, URL_SAFE_NO_PAD.encode(key));
    if key.len() == 64 {
        URL_SAFE_NO_PAD.encode(Sha512::digest(jwk.as_bytes()))
    } else {
        URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes()))
    }
}

impl Codec {
    /// A codec for these secrets (the first encrypts, all decrypt).
    pub(crate) fn new(secrets: Vec<String>) -> Self {
        let v4 = secrets
            .iter()
            .map(|secret| {
                let mut key = [0u8; 32];
                hkdf(secret, b"", V4_INFO, &mut key);
                key
            })
            .collect();
        Self {
            secrets,
            v5: RwLock::new(Vec::new()),
            v4,
        }
    }

    /// The v5 keys for `salt` and `length`, derived once.
    fn v5_keys(&self, salt: &str, length: usize) -> Arc<[Key]> {
        if let Some((.., keys)) = self
            .v5
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(s, l, _)| s == salt && *l == length)
        {
            return Arc::clone(keys);
        }
        let info = format!("Auth.js Generated Encryption Key ({salt})");
        let keys: Arc<[Key]> = self
            .secrets
            .iter()
            .map(|secret| {
                let mut bytes = vec![0u8; length];
                hkdf(secret, salt.as_bytes(), info.as_bytes(), &mut bytes);
                let kid = thumbprint(&bytes);
                let enc = if length == 64 { CBC } else { GCM };
                let protected = URL_SAFE_NO_PAD
                    .encode(format!(r#"{{"alg":"dir","enc":"{enc}","kid":"{kid}"}}"#));
                let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA512, &bytes[..32]);
                Key {
                    bytes,
                    kid,
                    protected,
                    mac,
                }
            })
            .collect();
        let mut list = self.v5.write().unwrap_or_else(PoisonError::into_inner);
        // Salts are cookie names: a handful. A hostile peer cannot add any
        // (the salt is the name the contract reads, not one it sent).
        if !list.iter().any(|(s, l, _)| s == salt && *l == length) {
            list.push((salt.to_owned(), length, Arc::clone(&keys)));
        }
        keys
    }

    /// `claims` as a token of `flavour` for the cookie `name` (v5's salt),
    /// with `iat` = `now`, `exp` and a fresh `jti`.
    pub(crate) fn encode(
        &self,
        flavour: Flavour,
        name: &str,
        claims: &Map<String, Value>,
        now: i64,
        exp: i64,
    ) -> String {
        let mut claims = claims.clone();
        for time in ["iat", "exp", "jti"] {
            claims.remove(time);
        }
        let json = serde_json::to_vec(&claims).unwrap_or_default();
        self.encode_json(flavour, name, &json, now, exp)
    }

    /// The same from claims already written as a JSON object without
    /// `iat`, `exp` and `jti` (which jose adds, in that order).
    pub(crate) fn encode_json(
        &self,
        flavour: Flavour,
        name: &str,
        claims: &[u8],
        now: i64,
        exp: i64,
    ) -> String {
        // One draw from the system for the IV and the jti both.
        let random: [u8; 32] = crate::lifecycle::random_bytes();
        let mut jti = [0u8; 16];
        jti.copy_from_slice(&random[16..]);
        let jti = session_schemas::uuid_v4(jti);
        let mut plaintext = Vec::with_capacity(claims.len() + 96);
        match claims.strip_suffix(b"}") {
            Some(open) if open.len() > 1 => {
                plaintext.extend_from_slice(open);
                plaintext.push(b',');
            }
            _ => plaintext.push(b'{'),
        }
        plaintext
            .extend_from_slice(format!(r#""iat":{now},"exp":{exp},"jti":"{jti}"}}"#).as_bytes());
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&random[..16]);
        match flavour {
            Flavour::V5 => encrypt_cbc(&self.v5_keys(name, 64)[0], iv, &plaintext),
            Flavour::V4 => {
                let mut gcm_iv = [0u8; 12];
                gcm_iv.copy_from_slice(&iv[..12]);
                encrypt_gcm(
                    &self.v4[0],
                    gcm_iv,
                    r#"{"alg":"dir","enc":"A256GCM"}"#,
                    &plaintext,
                )
            }
        }
    }

    /// The claims of a token of `flavour` read from the cookie `name`, as
    /// the library's `decode` reads them at `now`.
    pub(crate) fn decode(
        &self,
        flavour: Flavour,
        name: &str,
        token: &str,
        now: i64,
    ) -> Result<Map<String, Value>, Refused> {
        let plaintext = self.decrypt(flavour, name, token)?;
        let claims: Map<String, Value> =
            serde_json::from_slice(&plaintext).map_err(|_| Refused::Claims)?;
        check_times(&claims, now)?;
        Ok(claims)
    }

    /// The plaintext of a token, not yet read as claims.
    pub(crate) fn decrypt(
        &self,
        flavour: Flavour,
        name: &str,
        token: &str,
    ) -> Result<Vec<u8>, Refused> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, encrypted_key, iv, ciphertext, tag] = parts[..] else {
            return Err(Refused::Malformed);
        };
        // `dir`: the key is shared, nothing is wrapped.
        if !encrypted_key.is_empty() {
            return Err(Refused::Malformed);
        }
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Refused::Malformed);
        // The usual token: one of ours or the app's, under a configured
        // secret, its header exactly as Auth.js writes it.
        if flavour == Flavour::V5 {
            let keys = self.v5_keys(name, 64);
            if let Some(key) = keys.iter().find(|k| k.protected == header) {
                return decrypt_cbc(
                    key,
                    header,
                    &decode(iv)?,
                    &decode(ciphertext)?,
                    &decode(tag)?,
                );
            }
        }
        let fields: Map<String, Value> =
            serde_json::from_slice(&decode(header)?).map_err(|_| Refused::Malformed)?;
        if fields.get("alg").and_then(Value::as_str) != Some("dir") {
            return Err(Refused::Malformed);
        }
        let enc = fields.get("enc").and_then(Value::as_str);
        let kid = match fields.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(Refused::Malformed),
        };
        let (iv, ciphertext, tag) = (decode(iv)?, decode(ciphertext)?, decode(tag)?);
        let plaintext = match flavour {
            Flavour::V5 => {
                let length = match enc {
                    Some(CBC) => 64,
                    Some(GCM) => 32,
                    _ => return Err(Refused::Malformed),
                };
                let keys = self.v5_keys(name, length);
                let key = match kid {
                    // jose asks for the key with the token's `kid`; Auth.js
                    // hands it the first secret's when the token has none.
                    None => keys.first(),
                    Some(kid) => keys.iter().find(|k| k.kid == kid),
                }
                .ok_or(Refused::NoKey)?;
                if length == 64 {
                    decrypt_cbc(key, header, &iv, &ciphertext, &tag)?
                } else {
                    decrypt_gcm(&key.bytes, header, &iv, &ciphertext, &tag)?
                }
            }
            Flavour::V4 => {
                if enc != Some(GCM) {
                    return Err(Refused::Malformed);
                }
                self.v4
                    .iter()
                    .find_map(|key| decrypt_gcm(key, header, &iv, &ciphertext, &tag).ok())
                    .ok_or(Refused::Decryption)?
            }
        };
        Ok(plaintext)
    }
}

/// jose's claim-set checks as Auth.js runs them: times are numbers,
/// `exp` not passed and `nbf` reached, both within the tolerance.
fn check_times(claims: &Map<String, Value>, now: i64) -> Result<(), Refused> {
    let time = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(value) => value.as_f64().map(Some).ok_or(Refused::Claims),
    };
    time("iat")?;
    check_window(time("exp")?, time("nbf")?, now)
}

/// `exp` not passed and `nbf` reached at `now`, within jose's tolerance.
pub(crate) fn check_window(exp: Option<f64>, nbf: Option<f64>, now: i64) -> Result<(), Refused> {
    #[allow(clippy::cast_precision_loss)]
    let (now, tolerance) = (now as f64, CLOCK_TOLERANCE as f64);
    if exp.is_some_and(|exp| exp <= now - tolerance) {
        return Err(Refused::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + tolerance) {
        return Err(Refused::Expired);
    }
    Ok(())
}

/// RFC 7518 §5.2.2.1 with AES-256 and HMAC-SHA-512: MAC key the first
/// half, encryption key the second; the tag is the first 32 bytes of the
/// HMAC of AAD || IV || ciphertext || AAD length in bits (64-bit big-endian).
fn encrypt_cbc(key: &Key, iv: [u8; 16], plaintext: &[u8]) -> String {
    let enc_key = &key.bytes[32..];
    let protected = &key.protected;
    let ciphertext = cbc::Encryptor::<aes::Aes256>::new(enc_key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let tag = cbc_tag(&key.mac, protected.as_bytes(), &iv, &ciphertext);
    let mut token = String::with_capacity(protected.len() + 4 + (ciphertext.len() + 64) * 4 / 3);
    token.push_str(protected);
    token.push_str("..");
    URL_SAFE_NO_PAD.encode_string(iv, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&ciphertext, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&tag[..32], &mut token);
    token
}

fn cbc_tag(key: &ring::hmac::Key, aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> [u8; 64] {
    let mut mac = ring::hmac::Context::with_key(key);
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    let bits = (aad.len() as u64).wrapping_mul(8);
    mac.update(&bits.to_be_bytes());
    let mut tag = [0u8; 64];
    tag.copy_from_slice(mac.sign().as_ref());
    tag
}

fn decrypt_cbc(
    key: &Key,
    protected: &str,
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, Refused> {
    let enc_key = &key.bytes[32..];
    if iv.len() != 16 || tag.len() != 32 {
        return Err(Refused::Decryption);
    }
    let expected = cbc_tag(&key.mac, protected.as_bytes(), iv, ciphertext);
    if !crate::credentials::same_bytes(&expected[..32], tag) {
        return Err(Refused::Decryption);
    }
    cbc::Decryptor::<aes::Aes256>::new(enc_key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| Refused::Decryption)
}

/// AES-256-GCM with the protected header as AAD; a 96-bit IV, a 128-bit tag.
fn encrypt_gcm(key: &[u8; 32], iv: [u8; 12], header: &str, plaintext: &[u8]) -> String {
    let protected = URL_SAFE_NO_PAD.encode(header);
    let cipher = aes_gcm::Aes256Gcm::new(key.into());
    let sealed = cipher
        .encrypt(
            &iv.into(),
            Payload {
                msg: plaintext,
                aad: protected.as_bytes(),
            },
        )
        .unwrap_or_default();
    let (ciphertext, tag) = sealed.split_at(sealed.len().saturating_sub(16));
    format!(
        "{protected}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(ciphertext),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

fn decrypt_gcm(
    key: &[u8],
    protected: &str,
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, Refused> {
    if key.len() != 32 || iv.len() != 12 || tag.len() != 16 {
        return Err(Refused::Decryption);
    }
    let cipher = aes_gcm::Aes256Gcm::new(key.into());
    let mut sealed = Vec::with_capacity(ciphertext.len() + 16);
    sealed.extend_from_slice(ciphertext);
    sealed.extend_from_slice(tag);
    cipher
        .decrypt(
            iv.into(),
            Payload {
                msg: &sealed,
                aad: protected.as_bytes(),
            },
        )
        .map_err(|_| Refused::Decryption)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let clean: String = text.split_whitespace().collect();
        (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// RFC 7518 Appendix B.3: AES_256_CBC_HMAC_SHA_512, the RFC's own
    /// key, IV, plaintext and AAD give its ciphertext and tag.
    #[test]
    fn the_cbc_composition_matches_rfc_7518_appendix_b3() {
        let key = hex(
            "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
             20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f",
        );
        let plaintext = hex(
            "41 20 63 69 70 68 65 72 20 73 79 73 74 65 6d 20 6d 75 73 74 20 6e 6f 74 20 62 65 20 72 65 71 75
             69 72 65 64 20 74 6f 20 62 65 20 73 65 63 72 65 74 2c 20 61 6e 64 20 69 74 20 6d 75 73 74 20 62
             65 20 61 62 6c 65 20 74 6f 20 66 61 6c 6c 20 69 6e 74 6f 20 74 68 65 20 68 61 6e 64 73 20 6f 66
             20 74 68 65 20 65 6e 65 6d 79 20 77 69 74 68 6f 75 74 20 69 6e 63 6f 6e 76 65 6e 69 65 6e 63 65",
        );
        let iv = hex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04");
        let aad = hex(
            "54 68 65 20 73 65 63 6f 6e 64 20 70 72 69 6e 63 69 70 6c 65 20 6f 66 20 41 75 67 75 73 74 65 20
             4b 65 72 63 6b 68 6f 66 66 73",
        );
        let expected_ciphertext = hex(
            "4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd 3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc c7 bd
             82 2c 30 1d d6 7c 37 3b cc b5 84 ad 3e 92 79 c2 e6 d1 2a 13 74 b7 7f 07 75 53 df 82 94 10 44 6b
             36 eb d9 70 66 29 6a e6 42 7e a7 5c 2e 08 46 a1 1a 09 cc f5 37 0d c8 0b fe cb ad 28 c7 3f 09 b3
             a3 b7 5e 66 2a 25 94 41 0a e4 96 b2 e2 e6 60 9e 31 e6 e0 2c c8 37 f0 53 d2 1f 37 ff 4f 51 95 0b
             be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6",
        );
        let expected_tag = hex(
            "4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf 2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5",
        );
        let (mac_key, enc_key) = key.split_at(32);
        let iv16: [u8; 16] = iv.clone().try_into().expect("16");
        let ciphertext = cbc::Encryptor::<aes::Aes256>::new(enc_key.into(), &iv16.into())
            .encrypt_padded_vec_mut::<Pkcs7>(&plaintext);
        assert_eq!(ciphertext, expected_ciphertext);
        let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA512, mac_key);
        let tag = cbc_tag(&mac, &aad, &iv, &ciphertext);
        assert_eq!(&tag[..32], &expected_tag[..]);
        let key = Key {
            bytes: key.clone(),
            kid: String::new(),
            protected: String::new(),
            mac,
        };
        // And back, through the same path a token takes (its AAD is the
        // protected header's text, here the RFC's bytes).
        let aad_text = String::from_utf8(aad).expect("ascii");
        assert_eq!(
            decrypt_cbc(&key, &aad_text, &iv, &ciphertext, &expected_tag).as_deref(),
            Ok(&plaintext[..])
        );
        let mut flipped = expected_tag.clone();
        flipped[0] ^= 1;
        assert_eq!(
            decrypt_cbc(&key, &aad_text, &iv, &ciphertext, &flipped),
            Err(Refused::Decryption)
        );
    }

    fn claims() -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("name".into(), Value::from("Alice"));
        claims.insert("sub".into(), Value::from("42"));
        claims
    }

    #[test]
    fn tokens_round_trip_in_both_flavours_and_every_alteration_is_refused() {
        let codec = Codec::new(vec!["a secret".into()]);
        for flavour in [Flavour::V5, Flavour::V4] {
            let token = codec.encode(flavour, "authjs.session-token", &claims(), 1_000, 2_000);
            let back = codec
                .decode(flavour, "authjs.session-token", &token, 1_500)
                .expect("decodes");
            assert_eq!(back["name"], "Alice");
            assert_eq!(
                (back["iat"].as_i64(), back["exp"].as_i64()),
                (Some(1_000), Some(2_000))
            );
            assert_eq!(back["jti"].as_str().map(str::len), Some(36));
            // Expiry with jose's 15 s tolerance.
            assert!(
                codec
                    .decode(flavour, "authjs.session-token", &token, 2_014)
                    .is_ok()
            );
            assert_eq!(
                codec.decode(flavour, "authjs.session-token", &token, 2_015),
                Err(Refused::Expired)
            );
            // Every byte flipped in the ciphertext or tag is refused.
            let parts: Vec<&str> = token.split('.').collect();
            for part in 2..5 {
                let mut bytes = URL_SAFE_NO_PAD.decode(parts[part]).expect("b64");
                bytes[0] ^= 0x01;
                let mut altered = parts.clone();
                let encoded = URL_SAFE_NO_PAD.encode(&bytes);
                altered[part] = &encoded;
                let altered = altered.join(".");
                assert!(
                    codec
                        .decode(flavour, "authjs.session-token", &altered, 1_500)
                        .is_err(),
                    "{flavour:?} part {part}"
                );
            }
            assert!(
                codec
                    .decode(
                        flavour,
                        "authjs.session-token",
                        &token[..token.len() - 3],
                        1_500
                    )
                    .is_err(),
                "cut short"
            );
            let other = Codec::new(vec!["another secret".into()]);
            assert!(
                other
                    .decode(flavour, "authjs.session-token", &token, 1_500)
                    .is_err()
            );
            for garbage in ["", "a.b", "....", "x.y.z.w.v", &"A".repeat(5000)] {
                assert!(
                    codec
                        .decode(flavour, "authjs.session-token", garbage, 1_500)
                        .is_err()
                );
            }
        }
        // v5's salt is the cookie's name: the same secret under another
        // name is another key.
        let token = codec.encode(Flavour::V5, "authjs.session-token", &claims(), 1_000, 2_000);
        assert_eq!(
            codec.decode(Flavour::V5, "__Secure-authjs.session-token", &token, 1_500),
            Err(Refused::NoKey)
        );
    }

    #[test]
    fn rotation_encrypts_with_the_first_secret_and_decrypts_with_any() {
        let old = Codec::new(vec!["old".into()]);
        let both = Codec::new(vec!["new".into(), "old".into()]);
        let from_old = old.encode(Flavour::V5, "authjs.session-token", &claims(), 0, 100);
        assert!(
            both.decode(Flavour::V5, "authjs.session-token", &from_old, 1)
                .is_ok()
        );
        let from_both = both.encode(Flavour::V5, "authjs.session-token", &claims(), 0, 100);
        assert_eq!(
            old.decode(Flavour::V5, "authjs.session-token", &from_both, 1),
            Err(Refused::NoKey),
            "written with the new secret"
        );
        let from_old = old.encode(Flavour::V4, "next-auth.session-token", &claims(), 0, 100);
        assert!(
            both.decode(Flavour::V4, "next-auth.session-token", &from_old, 1)
                .is_ok()
        );
    }

    /// Written by the real libraries (`@auth/core@0.41.3` `encode` with
    /// salt `authjs.session-token`, `next-auth@4.24.15` `encode`), secret
    /// `session-mock-test-secret`, maxAge 3600, at unix time 1796234125.
    const AUTH_CORE_TOKEN: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIiwia2lkIjoicXpjZWh5cUs3NjdRQjlkR2hEYTZaR1hIc0w1LXNJZmplSWtTZE10MzAwRG5pSUh2OHBqNTRsYW4tNVp3R2l1N1Q4YkU4Tkxsem9SUTI2c19aQ2dDMmcifQ..DWrTZhcgImTKhO1IB-gHYQ.wcFlT-wvKB36xcGZUkONGHjTMjKjO2n5YJEi9regZ-_OUHppdUUSbJ9GhOHc7DQBYEPPV65FCT7_skGfkPmhBKTeKUIrcsTlrNKb16lHb1kZviPrMBlRciZo57qFtDC-lERShyyqCELR_TJkt4qQHCDWXHtlkNHmD8RfauMFc7y92HxvhbAuh5PymcNXnckLYxFxBVc4vUo4966e5U3SlYl9iU_bo0nIP7izxr3CwSbb90-9aPqYlllpfX_BoqTH.rBdDCLP3u_xuXaSZ5SkX-23QCS53jfuRE_oXbLB-t08";
    const NEXT_AUTH_V4_TOKEN: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..ATCriw96eJP0n0tW.VNom0dXse1UZcn5fsDoH4u0wKnJWrzqONnKSa3aLRAxLRbWXsyxo_DXiuZKQUwiCluAbtK4GRI9Vcz9yFZaOAzjeLJRGpt9YDFIkCHOqDYYHrUFl03o-_zWYM5LBunjJQZhg-_hpB6VCWCceadScBpBiPi8o7byVq0g7czC1enwIkjhdJaU5Neb73EYeS6xxEMu3ZCNIEyAU_v0yqVBVl3i9sNAg7yuxilksSc_f0RI.kITdAeu2omL7D2q0eRApmg";
    const WRITTEN_AT: i64 = 1_796_234_125;

    #[test]
    fn tokens_the_real_libraries_wrote_decode_and_their_kid_is_ours() {
        let codec = Codec::new(vec!["session-mock-test-secret".into()]);
        for (flavour, token, name) in [
            (Flavour::V5, AUTH_CORE_TOKEN, "authjs.session-token"),
            (Flavour::V4, NEXT_AUTH_V4_TOKEN, "next-auth.session-token"),
        ] {
            let claims = codec
                .decode(flavour, name, token, WRITTEN_AT)
                .unwrap_or_else(|e| panic!("{flavour:?}: {e:?}"));
            assert_eq!(claims["name"], "Alice Liddell");
            assert_eq!(claims["email"], "alice@example.com");
            assert_eq!(claims["sub"], "7f2c1e9a-0000-4000-8000-000000000001");
            assert_eq!(claims["exp"].as_i64(), Some(WRITTEN_AT + 3600));
            assert_eq!(
                codec.decode(flavour, name, token, WRITTEN_AT + 3600 + 15),
                Err(Refused::Expired)
            );
            let wrong = Codec::new(vec!["not-the-secret".into()]);
            assert!(wrong.decode(flavour, name, token, WRITTEN_AT).is_err());
        }
        // The kid @auth/core wrote is the thumbprint this module computes.
        let header = URL_SAFE_NO_PAD
            .decode(AUTH_CORE_TOKEN.split('.').next().expect("header"))
            .expect("b64");
        let header: Map<String, Value> = serde_json::from_slice(&header).expect("json");
        assert_eq!(
            header["kid"].as_str(),
            Some(codec.v5_keys("authjs.session-token", 64)[0].kid.as_str())
        );
    }

    #[test]
    fn the_header_and_kid_are_as_auth_js_writes_them() {
        let codec = Codec::new(vec!["secret".into()]);
        let token = codec.encode(Flavour::V5, "authjs.session-token", &claims(), 0, 100);
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().expect("header"))
            .expect("b64");
        let header = String::from_utf8(header).expect("utf-8");
        let kid = &codec.v5_keys("authjs.session-token", 64)[0].kid;
        assert_eq!(
            header,
            format!(r#"{{"alg":"dir","enc":"A256CBC-HS512","kid":"{kid}"}}"#)
        );
        assert_eq!(kid.len(), 86, "base64url of a SHA-512");
        let v4 = codec.encode(Flavour::V4, "next-auth.session-token", &claims(), 0, 100);
        assert!(v4.starts_with(&format!(
            "{}..",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"dir","enc":"A256GCM"}"#)
        )));
    }
}
