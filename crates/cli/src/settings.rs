//! Server settings from options, `KEYBOUND_*` variables (clap reads those) and a TOML file.

use std::path::Path;

use keybound_server::config::RawConfig;
use serde::Deserialize;

use crate::args::ServerArgs;
use crate::error::Error;

/// The config file's keys: the long option names with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database: Option<String>,
    public_url: Option<String>,
    rp_id: Option<String>,
    admin: Option<String>,
}

/// Merges options (and variables) over the config file.
pub(crate) fn raw_config(
    server: &ServerArgs,
    listen: Option<String>,
    admin: Option<String>,
) -> Result<RawConfig, Error> {
    let file = match &server.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    Ok(RawConfig {
        listen: listen.or(file.listen),
        data_dir: server.data_dir.clone().or(file.data_dir),
        database: server.database.clone().or(file.database),
        public_url: server.public_url.clone().or(file.public_url),
        rp_id: server.rp_id.clone().or(file.rp_id),
        admin: admin.or(file.admin),
    })
}

fn read_file(path: &Path) -> Result<FileConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        what: "the config file",
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| Error::ConfigFile {
        path: path.to_owned(),
        detail: e.message().to_owned(),
    })
}
