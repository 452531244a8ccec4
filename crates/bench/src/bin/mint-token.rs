//! `mint-token`: prints an internal token for one user, signed with the gateway's key exactly as
//! the gateway signs it, so that a service can be called directly: the benchmark's "direct" case,
//! and the token nginx and HAProxy send in its proxy cases. Tokens live at most 60 seconds: mint
//! one shortly before it is used.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bench::{parse_list, Args};
use internal_auth::{Identity, Service, TokenSigner, MAX_TOKEN_TTL, SYSTEM_TENANT_ID};

const USAGE: &str = "\
usage: mint-token (--data-dir DIR | --key FILE) --user-id ID --user-name NAME
                  [--tenant-id ID] [--permissions 11,1,2,3,4,28] [--administered-tenants IDS]
                  [--ttl-secs 60] [--service oauth-profiles]

Prints a signed internal token (an EdDSA JWT) acting as the given user, for a request to the
given service (oauth-apps, oauth-profiles or client-registration; each service accepts only
tokens addressed to it, as the gateway addresses them). The key is the gateway's
signing key, DIR/keys/token-signing.pem by default. The tenant defaults to the system tenant (1),
the permissions to MgmtAPI, the four data source permissions and OAuth; the lifetime to 60 s,
the most the services accept.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mint-token: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse(std::env::args().skip(1))?;
    if args.wants_help() {
        println!("{USAGE}");
        return Ok(());
    }
    args.only(&[
        "data-dir",
        "key",
        "user-id",
        "user-name",
        "tenant-id",
        "permissions",
        "administered-tenants",
        "ttl-secs",
        "service",
    ])?;
    if let Some(word) = args.positional().first() {
        anyhow::bail!("unexpected argument {word:?} (see --help)");
    }
    let key_file = args.path_in_data_dir("key", "keys/token-signing.pem")?;
    let ttl = Duration::from_secs(args.get("ttl-secs")?.unwrap_or(MAX_TOKEN_TTL.as_secs()));
    let identity = Identity {
        user_id: args.required("user-id")?,
        user_name: args.required("user-name")?,
        tenant_id: args.get("tenant-id")?.unwrap_or(SYSTEM_TENANT_ID),
        permissions: parse_list(args.text("permissions").unwrap_or("11,1,2,3,4,28"))?,
        administered_tenants: parse_list(args.text("administered-tenants").unwrap_or(""))?,
    };
    let pem = std::fs::read(&key_file)
        .with_context(|| format!("cannot read the signing key {}", key_file.display()))?;
    let signer = TokenSigner::from_pem(&pem, ttl)
        .with_context(|| format!("{} is not an Ed25519 private key", key_file.display()))?;
    let name = args.text("service").unwrap_or("oauth-profiles");
    let service = Service::ALL
        .into_iter()
        .find(|service| service.name() == name)
        .with_context(|| format!("unknown service {name:?} (see --help)"))?;
    let (token, _expires) = signer
        .mint(service, &identity, None)
        .context("cannot sign the token")?;
    println!("{token}");
    Ok(())
}
