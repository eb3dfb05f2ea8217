//! The server's settings, validated before anything starts.

use std::net::SocketAddr;

use keybound_webauthn::{Origin, RpId};

/// Settings as given on the command line, in `KEYBOUND_*` variables or a config file.
#[derive(Clone, Debug, Default)]
pub struct RawConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Data directory for the embedded SQLite database.
    pub data_dir: Option<String>,
    /// A database URL (`postgres://…` or `sqlite://…`), instead of the data directory.
    pub database: Option<String>,
    /// The URL people and applications reach Keybound at.
    pub public_url: Option<String>,
    /// The WebAuthn RP ID (default: the host of the public URL).
    pub rp_id: Option<String>,
    /// The first Global Administrator's sign-in name.
    pub admin: Option<String>,
}

/// Settings ready to use.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The store URL.
    pub database_url: String,
    /// The public origin (`https://login.example.org`).
    pub public_url: Origin,
    /// The RP ID passkeys are scoped to.
    pub rp_id: RpId,
    /// The first Global Administrator's sign-in name (`admin@<domain>`).
    pub admin_upn: String,
}

/// Why the settings cannot be used; one sentence that says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `--listen` is not an address.
    #[error("--listen `{0}` is not an address and port such as 127.0.0.1:8080")]
    Listen(String),
    /// `--public-url` is not an origin.
    #[error("--public-url `{0}` is not a URL such as https://login.example.org (scheme, host, optional port, no path)")]
    PublicUrl(String),
    /// `--rp-id` is not a host name.
    #[error("--rp-id `{0}` is not a host name such as example.org")]
    RpId(String),
    /// The public URL is not on the RP ID.
    #[error("the public URL's host `{host}` is not `{rp_id}` or a subdomain of it, so browsers would refuse every passkey; set --rp-id to a suffix of the host")]
    RpIdMismatch {
        /// The public URL's host.
        host: String,
        /// The RP ID.
        rp_id: String,
    },
    /// Plain http on a public host.
    #[error("--public-url `{0}` uses http on a host other than localhost; browsers only allow passkeys over https there")]
    InsecureOrigin(String),
    /// Both a data directory and a database URL.
    #[error("give either --data-dir or --database, not both")]
    DatabaseTwice,
    /// A database URL of an unknown kind.
    #[error("--database `{0}` is neither postgres://… nor sqlite://…")]
    Database(String),
    /// An admin name that is not user@domain.
    #[error("--admin `{0}` is not a sign-in name such as admin@example.org")]
    Admin(String),
}

impl RawConfig {
    /// Applies defaults and checks everything.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let listen_text = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text
            .parse()
            .map_err(|_| ConfigError::Listen(listen_text.clone()))?;
        let public_text = self
            .public_url
            .unwrap_or_else(|| "http://localhost:8080".into());
        let public_url =
            Origin::parse(&public_text).map_err(|_| ConfigError::PublicUrl(public_text.clone()))?;
        let host = public_url
            .host()
            .ok_or_else(|| ConfigError::PublicUrl(public_text.clone()))?
            .to_owned();
        if !public_url.is_potentially_trustworthy() {
            return Err(ConfigError::InsecureOrigin(public_text));
        }
        let rp_text = self.rp_id.unwrap_or_else(|| host.clone());
        let rp_id = RpId::parse(&rp_text).map_err(|_| ConfigError::RpId(rp_text.clone()))?;
        if !rp_id.is_registrable_suffix_of(&host) {
            return Err(ConfigError::RpIdMismatch {
                host,
                rp_id: rp_id.to_string(),
            });
        }
        let database_url = match (self.data_dir, self.database) {
            (Some(_), Some(_)) => return Err(ConfigError::DatabaseTwice),
            (_, Some(url))
                if url.starts_with("postgres://")
                    || url.starts_with("postgresql://")
                    || url.starts_with("sqlite://") =>
            {
                url
            }
            (_, Some(url)) => return Err(ConfigError::Database(url)),
            (dir, None) => {
                let dir = dir.unwrap_or_else(|| "./keybound-data".into());
                format!("sqlite://{}/keybound.db", dir.trim_end_matches('/'))
            }
        };
        let admin_upn = self.admin.unwrap_or_else(|| format!("admin@{rp_id}"));
        let valid_upn = admin_upn.split_once('@').is_some_and(|(name, domain)| {
            !name.is_empty() && !domain.is_empty() && !admin_upn.contains(char::is_whitespace)
        });
        if !valid_upn {
            return Err(ConfigError::Admin(admin_upn));
        }
        Ok(Config {
            listen,
            database_url,
            public_url,
            rp_id,
            admin_upn: admin_upn.to_ascii_lowercase(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(raw: RawConfig, expected: Result<(&str, &str, &str, &str), &str>) {
        match (raw.validate(), expected) {
            (Ok(c), Ok((listen, db, rp, admin))) => {
                assert_eq!(
                    (
                        c.listen.to_string().as_str(),
                        c.database_url.as_str(),
                        c.rp_id.as_str(),
                        c.admin_upn.as_str()
                    ),
                    (listen, db, rp, admin)
                );
            }
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{e}"),
            (other, expected) => panic!("{other:?} vs {expected:?}"),
        }
    }

    #[test]
    fn defaults_and_refusals() {
        check(
            RawConfig::default(),
            Ok((
                "127.0.0.1:8080",
                "sqlite://./keybound-data/keybound.db",
                "localhost",
                "admin@localhost",
            )),
        );
        let public = |url: &str| RawConfig {
            public_url: Some(url.into()),
            ..Default::default()
        };
        check(
            public("https://login.example.org"),
            Ok((
                "127.0.0.1:8080",
                "sqlite://./keybound-data/keybound.db",
                "login.example.org",
                "admin@login.example.org",
            )),
        );
        check(
            RawConfig {
                rp_id: Some("example.org".into()),
                ..public("https://login.example.org")
            },
            Ok((
                "127.0.0.1:8080",
                "sqlite://./keybound-data/keybound.db",
                "example.org",
                "admin@example.org",
            )),
        );
        check(
            public("http://login.example.org"),
            Err("only allow passkeys over https"),
        );
        check(
            RawConfig {
                rp_id: Some("other.org".into()),
                ..public("https://login.example.org")
            },
            Err("is not `other.org` or a subdomain"),
        );
        check(
            RawConfig {
                listen: Some("nowhere".into()),
                ..Default::default()
            },
            Err("--listen `nowhere`"),
        );
        check(
            RawConfig {
                data_dir: Some("d".into()),
                database: Some("postgres://x".into()),
                ..Default::default()
            },
            Err("not both"),
        );
        check(
            RawConfig {
                database: Some("mysql://x".into()),
                ..Default::default()
            },
            Err("neither postgres"),
        );
        check(
            RawConfig {
                admin: Some("nobody".into()),
                ..Default::default()
            },
            Err("--admin `nobody`"),
        );
    }
}
