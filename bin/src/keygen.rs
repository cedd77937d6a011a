//! `zksettle keygen`.

use clap::Args;
use rand::TryRngCore;
use zksettle_core::field::fr_to_decimal;
use zksettle_core::PrivateKey;

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Derive the public key of this 32-byte hex private key instead of generating one.
    #[arg(long = "from-private-key", env = "ZKSETTLE_PRIVATE_KEY")]
    from_private_key: Option<String>,
}

pub(crate) fn run(args: &KeygenArgs) -> eyre::Result<()> {
    let bytes: [u8; 32] = match &args.from_private_key {
        Some(hex_key) => hex::decode(hex_key.trim_start_matches("0x"))?
            .try_into()
            .map_err(|v: Vec<u8>| eyre::eyre!("a private key is 32 bytes, got {}", v.len()))?,
        None => {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.try_fill_bytes(&mut bytes)?;
            bytes
        }
    };
    let key = PrivateKey::from_bytes(bytes);
    let public = key.public_key();
    let out = serde_json::json!({
        "private_key": hex::encode(bytes),
        "public_key": [fr_to_decimal(&public.0.x), fr_to_decimal(&public.0.y)],
        "packed_public_key": hex::encode(public.pack()),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
