//! `keybound serve` and `keybound admin …`: open the directory and run.

use std::io::Write;
use std::sync::Arc;

use keybound_server::audit::{Audit, Initiator, Target};
use keybound_server::auth::scope::parse_scopes;
use keybound_server::auth::token::TokenKeys;
use keybound_server::clock::{Clock, SystemClock};
use keybound_server::config::Config;
use keybound_server::tap::{self, TapRequest};
use keybound_store::Store;

use crate::args::{ServeArgs, TapArgs, TokenArgs};
use crate::error::Error;
use crate::settings::raw_config;

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

async fn open(config: &Config) -> Result<Arc<dyn Store>, Error> {
    keybound_store::open(&config.database_url)
        .await
        .map_err(Error::Store)
}

/// Runs the server until SIGINT or SIGTERM; prints the bootstrap pass on a first start.
pub(crate) fn serve(args: ServeArgs) -> Result<String, Error> {
    let config = raw_config(&args.server, args.listen, args.admin)?
        .validate()
        .map_err(Error::Config)?;
    runtime()?.block_on(async move {
        let store = open(&config).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let first = keybound_server::bootstrap::run(store.as_ref(), &config.admin_upn, clock.now())
            .await
            .map_err(Error::Server)?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Listen {
                address: config.listen.to_string(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| Error::Listen {
            address: config.listen.to_string(),
            source,
        })?;
        let public = config.public_url.to_string();
        let state = keybound_server::state(config, Arc::clone(&store), clock)
            .await
            .map_err(Error::Server)?;
        // Writes ignore a closed stream: a server must not fall over because its terminal went away.
        if let Some(first) = first {
            let lifetime = first.tap.record.lifetime_minutes;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "Temporary Access Pass for {}: {} (valid {lifetime} min, one use)",
                first.admin.user_principal_name, first.tap.code
            );
            let _ = writeln!(out, "Sign in at {public}/signin and add a passkey.");
            let _ = out.flush();
        }
        let _ = writeln!(
            std::io::stderr(),
            "keybound: listening on {address} (public URL {public})"
        );
        axum::serve(listener, keybound_server::app(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|source| Error::Listen {
                address: address.to_string(),
                source,
            })?;
        store.close().await;
        let _ = writeln!(std::io::stderr(), "keybound: stopped");
        Ok(String::new())
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// `keybound admin tap`: issues a pass on the same data as a running server.
pub(crate) fn admin_tap(args: TapArgs) -> Result<String, Error> {
    let config = raw_config(&args.server, None, None)?
        .validate()
        .map_err(Error::Config)?;
    runtime()?.block_on(async move {
        let store = open(&config).await?;
        let now = SystemClock.now();
        let user = store
            .get_user_by_upn(&args.user)
            .await
            .map_err(Error::Store)?
            .ok_or_else(|| Error::UnknownUser(args.user.clone()))?;
        let (policy, _) = keybound_server::current_policy(store.as_ref())
            .await
            .map_err(Error::Server)?;
        let request = TapRequest {
            lifetime_minutes: args.lifetime,
            usable_once: Some(args.usable_once),
            start_at: None,
        };
        let issued = tap::issue(
            store.as_ref(),
            &policy,
            &user,
            request,
            Initiator::operator_cli(),
            now,
        )
        .await
        .map_err(Error::Server)?;
        store.close().await;
        let uses = if issued.record.usable_once {
            "one use"
        } else {
            "multiple uses"
        };
        Ok(format!(
            "Temporary Access Pass for {}: {} (valid {} min, {uses})\n",
            user.user_principal_name, issued.code, issued.record.lifetime_minutes
        ))
    })
}

/// `keybound admin token`: mints a Graph bearer token.
pub(crate) fn admin_token(args: TokenArgs) -> Result<String, Error> {
    let config = raw_config(&args.server, None, None)?
        .validate()
        .map_err(Error::Config)?;
    let scopes = parse_scopes(&args.scopes).map_err(|e| Error::Scopes(e.to_string()))?;
    if scopes.is_empty() {
        return Err(Error::Scopes(
            "give at least one scope, such as --scopes Policy.Read.All".into(),
        ));
    }
    if !(1..=43_200).contains(&args.lifetime) {
        return Err(Error::Scopes(format!(
            "--lifetime {} is not between 1 and 43200 minutes",
            args.lifetime
        )));
    }
    runtime()?.block_on(async move {
        let store = open(&config).await?;
        let now = SystemClock.now();
        let keys = TokenKeys::load(store.as_ref(), config.public_url.as_str(), now)
            .await
            .map_err(Error::Server)?;
        let (token, claims) = keys
            .mint("keybound-admin-cli", &scopes, now, args.lifetime)
            .map_err(Error::Server)?;
        let scope_names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let audit = Audit::new(
            "Issue admin token",
            "KeyManagement",
            "Core Directory",
            "Add",
        )
        .by(Initiator::operator_cli())
        .target(Target::other(&claims.token_id))
        .detail("scopes", scope_names.join(" "))
        .detail("expiresDateTime", claims.expires_at.to_rfc3339())
        .at(now)
        .map_err(Error::Server)?;
        store.append_audit(&audit).await.map_err(Error::Store)?;
        store.close().await;
        Ok(format!("{token}\n"))
    })
}
