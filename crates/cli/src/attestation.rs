//! `keybound admin attestation load-mds|add-ca|list`: attestation trust on the
//! same data as a running server, through the functions its Graph endpoints use.

use std::path::Path;
use std::sync::Arc;

use keybound_server::attestation_trust;
use keybound_server::audit::Initiator;
use keybound_server::clock::{Clock, SystemClock};
use keybound_server::config::Config;
use keybound_store::Store;

use crate::args::{Attestation, ServerArgs};
use crate::error::Error;
use crate::settings::raw_config;

/// Runs one `admin attestation` command; returns what to print.
pub(crate) fn run(command: Attestation) -> Result<String, Error> {
    match command {
        Attestation::LoadMds(args) => {
            let jwt = read(&args.file, "the FIDO metadata BLOB")?;
            with_store(&args.server, |store| async move {
                let (blob, info) = attestation_trust::load_mds_blob(
                    store.as_ref(),
                    &jwt,
                    &keybound_metadata::fido_mds_roots(),
                    Initiator::operator_cli(),
                    SystemClock.now(),
                )
                .await
                .map_err(Error::Server)?;
                Ok(format!(
                    "Loaded FIDO metadata BLOB {} ({} entries, next update {})\n",
                    info.number,
                    blob.entries().len(),
                    blob.next_update()
                ))
            })
        }
        Attestation::AddCa(args) => {
            let pem = read(&args.file, "the certificate authority")?;
            with_store(&args.server, |store| async move {
                let ca = attestation_trust::add_organisation_ca(
                    store.as_ref(),
                    &pem,
                    Initiator::operator_cli(),
                    SystemClock.now(),
                )
                .await
                .map_err(Error::Server)?;
                Ok(format!(
                    "Added attestation certificate authority {}: {} (valid until {})\n",
                    ca.id,
                    ca.subject,
                    ca.not_after.to_rfc3339()
                ))
            })
        }
        Attestation::List(args) => with_store(&args.server, |store| async move {
            let blobs = store.list_mds_blobs().await.map_err(Error::Store)?;
            let cas = attestation_trust::list_organisation_cas(store.as_ref())
                .await
                .map_err(Error::Server)?;
            if blobs.is_empty() && cas.is_empty() {
                return Ok("No FIDO metadata BLOB or attestation certificate authority is loaded; add them with `keybound admin attestation load-mds` and `add-ca`.\n".into());
            }
            let mut out = String::new();
            for blob in &blobs {
                out.push_str(&format!(
                    "mds-blob {}  next update {}  loaded {}\n",
                    blob.number,
                    attestation_trust::next_update_date(blob),
                    blob.loaded_at.to_rfc3339()
                ));
            }
            for ca in &cas {
                out.push_str(&format!(
                    "ca {}  {}  valid until {}  sha256 {}\n",
                    ca.id,
                    ca.subject,
                    ca.not_after.to_rfc3339(),
                    ca.sha256_fingerprint
                ));
            }
            Ok(out)
        }),
    }
}

fn read(path: &Path, what: &'static str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Opens the directory the server settings name, runs `work` on it, and closes it.
fn with_store<F, Fut>(server: &ServerArgs, work: F) -> Result<String, Error>
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: std::future::Future<Output = Result<String, Error>>,
{
    let config: Config = raw_config(server, None, None)?
        .validate()
        .map_err(Error::Config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(async move {
        let store = keybound_store::open(&config.database_url)
            .await
            .map_err(Error::Store)?;
        let result = work(Arc::clone(&store)).await;
        store.close().await;
        result
    })
}
