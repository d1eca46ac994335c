//! The command line: Airbyte subcommands and Singer flags, parsed into one [`Command`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Secret;
use crate::protocol::Protocol;

const EXAMPLES: &str = "\
Airbyte:
  source-linkedin-pages spec
  source-linkedin-pages check --config config.json
  source-linkedin-pages discover --config config.json
  source-linkedin-pages read --config config.json --catalog catalog/all_streams.json [--state state.json]

Before a sync: the requests it will make, against a daily quota:
  source-linkedin-pages plan --config config.json --catalog catalog/all_streams.json [--state state.json] --daily-quota 1000

A person with a freshly pasted token:
  pbpaste | source-linkedin-pages check-token
  LINKEDIN_ACCESS_TOKEN=... source-linkedin-pages check-token --client-id ID --client-secret SECRET

A token in one command (opens the browser, writes a ready config):
  source-linkedin-pages auth --client-id ID --client-secret SECRET --write-config config.json

Singer (Meltano):
  source-linkedin-pages --config config.json --discover > catalog.json
  source-linkedin-pages --config config.json --catalog catalog.json [--state state.json]
  source-linkedin-pages --about --format json";

/// LinkedIn Pages source: organizations, followers, page views, posts, their statistics,
/// comments and reactions, as Airbyte or Singer messages on stdout.
#[derive(Parser, Debug)]
#[command(name = "source-linkedin-pages", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Singer: config file.
    #[arg(long, global = false)]
    pub config: Option<PathBuf>,
    /// Singer: print the catalog.
    #[arg(long)]
    pub discover: bool,
    /// Singer: catalog of the streams to read.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Singer: the older name of --catalog.
    #[arg(long, conflicts_with = "catalog")]
    pub properties: Option<PathBuf>,
    /// Singer: state to resume from.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Singer: describe the tap.
    #[arg(long)]
    pub about: bool,
    /// Format of --about.
    #[arg(long, value_enum, default_value = "json")]
    pub format: AboutFormat,
    /// Singer (as singer-sdk taps): `--test` or `--test=all` tests the connection (token,
    /// pages, scopes) and emits no records; `--test=schema` writes the SCHEMA messages of
    /// the streams (those of --catalog, else all) without any request. Exit code 0 or 1.
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "all", value_name = "all|schema")]
    pub test: Option<TestMode>,
}

/// What `--test` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestMode {
    /// The connection: the token, the pages it administers, the scopes.
    All,
    /// Only the SCHEMA messages; no request.
    Schema,
}

/// Output formats of `--about`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AboutFormat {
    Json,
    Markdown,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
}

/// Airbyte subcommands.
#[derive(Subcommand, Debug)]
pub enum Sub {
    /// Print the connector specification.
    Spec,
    /// Validate the config and diagnose the token.
    Check {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print the catalog of streams.
    Discover {
        #[arg(long)]
        config: PathBuf,
    },
    /// Diagnose an access token for a person: reads it from stdin or LINKEDIN_ACCESS_TOKEN
    /// and prints a readable report (validity, expiry, scopes, pages administered).
    CheckToken {
        #[arg(long, default_value = crate::config::DEFAULT_API_BASE_URL)]
        api_base_url: String,
        #[arg(long, default_value = crate::config::DEFAULT_OAUTH_BASE_URL)]
        oauth_base_url: String,
        #[arg(long, default_value = crate::config::DEFAULT_API_VERSION)]
        api_version: String,
        /// Your app's client ID (enables token introspection: expiry and exact scopes).
        #[arg(long, env = "LINKEDIN_CLIENT_ID", hide_env_values = true)]
        client_id: Option<String>,
        /// Your app's client secret.
        #[arg(long, env = "LINKEDIN_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
    },
    /// Get a token in one command: opens LinkedIn's consent page in the browser, receives
    /// the redirect on 127.0.0.1, and prints a ready config (refresh token included).
    Auth {
        /// Your app's client ID (the app's Auth tab).
        #[arg(long, env = "LINKEDIN_CLIENT_ID", hide_env_values = true)]
        client_id: String,
        /// Your app's client secret.
        #[arg(long, env = "LINKEDIN_CLIENT_SECRET", hide_env_values = true)]
        client_secret: String,
        /// Scopes to request, separated by spaces or commas.
        #[arg(long, default_value = DEFAULT_SCOPES)]
        scopes: String,
        /// Port of the local callback server; 0 picks any free port. LinkedIn redirects only
        /// to registered URLs, so register http://127.0.0.1:PORT/callback.
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
        /// Print the URL only; do not start a browser.
        #[arg(long)]
        no_browser: bool,
        /// Write the config to FILE (mode 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        write_config: Option<PathBuf>,
        /// How long to wait for the browser, in seconds.
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
        #[arg(long, default_value = crate::config::DEFAULT_OAUTH_BASE_URL)]
        oauth_base_url: String,
        /// Written into the config when not LinkedIn's (proxies, the bundled mock).
        #[arg(long, default_value = crate::config::DEFAULT_API_BASE_URL)]
        api_base_url: String,
    },
    /// Print the requests the next `read` with these inputs will make, per stream and
    /// organization, and whether they fit a daily quota. Makes only the few requests that
    /// size the work (the post lists and their activity counts), and says how many.
    Plan {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        catalog: PathBuf,
        #[arg(long)]
        state: Option<PathBuf>,
        /// Requests allowed per day (LinkedIn's daily limit for your app and endpoints).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        daily_quota: Option<u64>,
        #[arg(long, value_enum, default_value = "text")]
        format: PlanFormat,
    },
    /// Read records.
    Read {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        catalog: PathBuf,
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

/// What to run.
#[derive(Debug)]
pub enum Command {
    Spec,
    Check {
        config: PathBuf,
    },
    Discover {
        config: PathBuf,
        protocol: Protocol,
    },
    Read {
        config: PathBuf,
        catalog: PathBuf,
        state: Option<PathBuf>,
        protocol: Protocol,
    },
    About {
        format: AboutFormat,
    },
    CheckToken {
        api_base_url: String,
        oauth_base_url: String,
        api_version: String,
        client_id: Option<String>,
        client_secret: Option<String>,
    },
    Auth(AuthOptions),
    /// Singer `--test`.
    SingerTest {
        config: PathBuf,
        catalog: Option<PathBuf>,
        mode: TestMode,
    },
    Plan(PlanOptions),
}

/// What `plan` was asked to do.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub config: PathBuf,
    pub catalog: PathBuf,
    pub state: Option<PathBuf>,
    pub daily_quota: Option<u64>,
    pub format: PlanFormat,
}

impl Cli {
    /// Resolves the parsed arguments to one command, or a usage message.
    pub fn command(self) -> Result<Command, String> {
        if let Some(sub) = self.command {
            return Ok(match sub {
                Sub::Spec => Command::Spec,
                Sub::Check { config } => Command::Check { config },
                Sub::Discover { config } => Command::Discover {
                    config,
                    protocol: Protocol::Airbyte,
                },
                Sub::CheckToken {
                    api_base_url,
                    oauth_base_url,
                    api_version,
                    client_id,
                    client_secret,
                } => Command::CheckToken {
                    api_base_url,
                    oauth_base_url,
                    api_version,
                    client_id,
                    client_secret,
                },
                Sub::Auth {
                    client_id,
                    client_secret,
                    scopes,
                    port,
                    no_browser,
                    write_config,
                    timeout_secs,
                    oauth_base_url,
                    api_base_url,
                } => Command::Auth(AuthOptions {
                    client_id,
                    client_secret: crate::config::Secret::new(client_secret),
                    scopes,
                    oauth_base_url,
                    api_base_url,
                    port,
                    no_browser,
                    write_config,
                    timeout_secs,
                }),
                Sub::Plan {
                    config,
                    catalog,
                    state,
                    daily_quota,
                    format,
                } => Command::Plan(PlanOptions {
                    config,
                    catalog,
                    state,
                    daily_quota,
                    format,
                }),
                Sub::Read {
                    config,
                    catalog,
                    state,
                } => Command::Read {
                    config,
                    catalog,
                    state,
                    protocol: Protocol::Airbyte,
                },
            });
        }
        if self.about {
            return Ok(Command::About {
                format: self.format,
            });
        }
        let Some(config) = self.config else {
            return Err("nothing to do: use a subcommand (spec, check, discover, read) or the Singer flags (--config with --discover or --catalog); see --help".into());
        };
        if let Some(mode) = self.test {
            return Ok(Command::SingerTest {
                config,
                catalog: self.catalog.or(self.properties),
                mode,
            });
        }
        if self.discover {
            return Ok(Command::Discover {
                config,
                protocol: Protocol::Singer,
            });
        }
        match self.catalog.or(self.properties) {
            Some(catalog) => Ok(Command::Read {
                config,
                catalog,
                state: self.state,
                protocol: Protocol::Singer,
            }),
            None => Err(
                "with --config, also give --discover or --catalog FILE (or --properties FILE)"
                    .into(),
            ),
        }
    }
}

/// The Community Management read scopes the connector's streams need, as documented per
/// endpoint (docs/permissions.md): rw_organization_admin for page discovery, page details and
/// every statistics endpoint; r_organization_social for posts, video analytics and comments;
/// r_organization_social_feed for socialMetadata and reactions.
pub const DEFAULT_SCOPES: &str =
    "rw_organization_admin r_organization_social r_organization_social_feed";
/// A fixed default port, because LinkedIn only redirects to URLs registered in advance,
/// port included.
pub const DEFAULT_PORT: u16 = 8765;
/// What `auth` was asked to do.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    pub client_id: String,
    pub client_secret: Secret,
    /// Scopes as given: separated by spaces or commas.
    pub scopes: String,
    pub oauth_base_url: String,
    /// Written into the config when it is not LinkedIn's (proxies, the mock).
    pub api_base_url: String,
    /// 0 picks any free port.
    pub port: u16,
    pub no_browser: bool,
    pub write_config: Option<PathBuf>,
    pub timeout_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?
            .command()
    }

    #[test]
    fn both_protocols_map_to_commands() {
        assert!(matches!(parse(&["spec"]), Ok(Command::Spec)));
        assert!(matches!(
            parse(&["read", "--config", "c", "--catalog", "k"]),
            Ok(Command::Read {
                protocol: Protocol::Airbyte,
                state: None,
                ..
            })
        ));
        assert!(matches!(
            parse(&["--config", "c", "--discover"]),
            Ok(Command::Discover {
                protocol: Protocol::Singer,
                ..
            })
        ));
        assert!(matches!(
            parse(&["--config", "c", "--properties", "p", "--state", "s"]),
            Ok(Command::Read {
                protocol: Protocol::Singer,
                state: Some(_),
                ..
            })
        ));
        assert!(matches!(
            parse(&["--about", "--format", "markdown"]),
            Ok(Command::About {
                format: AboutFormat::Markdown
            })
        ));
        assert!(matches!(
            parse(&[
                "plan",
                "--config",
                "c",
                "--catalog",
                "k",
                "--daily-quota",
                "500",
                "--format",
                "json"
            ]),
            Ok(Command::Plan(PlanOptions {
                daily_quota: Some(500),
                format: PlanFormat::Json,
                ..
            }))
        ));
        assert!(parse(&[
            "plan",
            "--config",
            "c",
            "--catalog",
            "k",
            "--daily-quota",
            "0"
        ])
        .is_err());
        for (args, want) in [
            (&["--config", "c", "--test"][..], TestMode::All),
            (&["--config", "c", "--test=all"][..], TestMode::All),
            (
                &["--config", "c", "--test=schema", "--catalog", "k"][..],
                TestMode::Schema,
            ),
        ] {
            match parse(args) {
                Ok(Command::SingerTest { mode, .. }) => assert_eq!(mode, want, "{args:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert!(parse(&["--config", "c", "--test=records"]).is_err());
        assert!(parse(&[]).is_err());
        assert!(parse(&["--config", "c"]).is_err());
    }
}
