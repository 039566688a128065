//! The machine's own ceilings, measured in the same run as a scenario: ed25519 verification on
//! one core and batched on every core, and blake3 over 1 KiB inputs; and, for the national
//! cryptography suite a chain may choose (issue 20), SM2 verification and SM3 over 1 KiB on one
//! core (see `national`).

use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Serialize;

/// Reference figures of this machine.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Machine {
    /// Cores available to this process.
    pub cores: usize,
    /// ed25519 `verify_strict` per second on one core.
    pub ed25519_verify_per_s_one_core: f64,
    /// ed25519 `verify_strict` per second, one thread per core: the rule the ledger applies to
    /// every transaction (ADR 004).
    pub ed25519_verify_per_s_all_cores: f64,
    /// ed25519 batch verification (batches of 64) per second, one thread per core.
    pub ed25519_batch_verify_per_s_all_cores: f64,
    /// blake3 hashes of 1 KiB inputs per second on one core.
    pub blake3_1kib_per_s_one_core: f64,
    /// SM2 signature verifications per second on one core (GM/T 0003 with the standard user ID).
    pub sm2_verify_per_s_one_core: f64,
    /// The ledger's SM2 rule per second on one core: the 32-byte x-only key lifted to its point
    /// and `Z_A` computed on every check (ADR 019).
    pub sm2_scheme_verify_per_s_one_core: f64,
    /// SM3 hashes of 1 KiB inputs per second on one core.
    pub sm3_1kib_per_s_one_core: f64,
}

struct Signed {
    messages: Vec<Vec<u8>>,
    signatures: Vec<Signature>,
    keys: Vec<VerifyingKey>,
}

fn signed(count: usize) -> Signed {
    let mut out = Signed {
        messages: Vec::with_capacity(count),
        signatures: Vec::with_capacity(count),
        keys: Vec::with_capacity(count),
    };
    for i in 0..count {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let key = SigningKey::from_bytes(&seed);
        let message = blake3::hash(&seed).as_bytes().to_vec();
        out.signatures.push(key.sign(&message));
        out.messages.push(message);
        out.keys.push(key.verifying_key());
    }
    out
}

/// `verify_strict` over `set` again and again until `per_probe` has passed since `start`; returns
/// how many verified.
fn strict_verifications(set: &Signed, start: Instant, per_probe: Duration) -> u64 {
    let mut done = 0u64;
    while start.elapsed() < per_probe {
        for ((key, message), signature) in set.keys.iter().zip(&set.messages).zip(&set.signatures) {
            done += u64::from(key.verify_strict(message, signature).is_ok());
        }
    }
    done
}

/// Measure for about `per_probe` each.
pub fn measure(per_probe: Duration) -> Machine {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let set = signed(256);

    let start = Instant::now();
    let one_core =
        strict_verifications(&set, start, per_probe) as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    let strict_total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cores)
            .map(|_| scope.spawn(|| strict_verifications(&set, start, per_probe)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let strict_all_cores = strict_total as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let messages: Vec<&[u8]> = set.messages.iter().map(Vec::as_slice).collect();
                    let mut done = 0u64;
                    while start.elapsed() < per_probe {
                        for chunk in 0..set.keys.len() / 64 {
                            let range = chunk * 64..(chunk + 1) * 64;
                            if ed25519_dalek::verify_batch(
                                &messages[range.clone()],
                                &set.signatures[range.clone()],
                                &set.keys[range],
                            )
                            .is_ok()
                            {
                                done += 64;
                            }
                        }
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let batched = total as f64 / start.elapsed().as_secs_f64();

    let input = [0x5au8; 1024];
    let start = Instant::now();
    let mut hashes = 0u64;
    let mut sink = [0u8; 32];
    while start.elapsed() < per_probe {
        for _ in 0..1024 {
            let hash = blake3::hash(&input);
            sink[0] ^= hash.as_bytes()[0];
            hashes += 1;
        }
    }
    std::hint::black_box(sink);
    let blake3_rate = hashes as f64 / start.elapsed().as_secs_f64();
    let national = crate::national::measure(per_probe);
    Machine {
        cores,
        ed25519_verify_per_s_one_core: one_core,
        ed25519_verify_per_s_all_cores: strict_all_cores,
        ed25519_batch_verify_per_s_all_cores: batched,
        blake3_1kib_per_s_one_core: blake3_rate,
        sm2_verify_per_s_one_core: national.sm2_verify,
        sm2_scheme_verify_per_s_one_core: national.sm2_scheme_verify,
        sm3_1kib_per_s_one_core: national.sm3_1kib,
    }
}
