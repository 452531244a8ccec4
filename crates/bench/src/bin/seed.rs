//! `seed`: fills oauth-apps' or oauth-profiles' database directly, many rows at a time, for the
//! benchmark. Rows go in through the service library's own insert function, so credentials are
//! sealed exactly as the service seals them (same key ring, same row binding) and the service
//! reads them back as if it had written them. It may run while the service runs (SQLite in WAL
//! mode, or PostgreSQL): each batch is one transaction.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use bench::Args;
use db::{DatabaseUrl, DbConnection, Migrations, PoolOptions};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use internal_auth::SYSTEM_TENANT_ID;
use secrets::KeyRing;

const USAGE: &str = "\
usage: seed apps     (--data-dir DIR | --database-url URL --keys FILE) --owner-id ID
                     --count N [--tenant-id 1] [--prefix bench_app] [--batch 10000]
       seed profiles (--data-dir DIR | --database-url URL --keys FILE) --owner-id ID
                     --app-id ID (--count N | --up-to N) [--tenant-id 1]
                     [--prefix bench_profile] [--batch 10000]

apps:     N OAuth applications in the tenant (default the system tenant), created by the owner,
          in DIR/oauth-apps.db sealed with DIR/keys/oauth-apps-encryption.keys.
profiles: N OAuth profiles of the owner (whose tenant is --tenant-id) for application --app-id,
          in DIR/oauth-profiles.db sealed with DIR/keys/oauth-profiles-encryption.keys;
          --up-to N adds as many as the owner needs to have N in all.

Names are PREFIX_<n>, numbered on from the owner's (tenant's) current row count. The last line
printed is: seeded table=T rows=N first_id=A last_id=B seconds=S rows_per_s=R total_rows=C";

/// Rows per transaction unless `--batch` says otherwise.
const DEFAULT_BATCH: u64 = 10_000;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("seed: {err:#}");
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
    let common = [
        "data-dir",
        "database-url",
        "keys",
        "owner-id",
        "tenant-id",
        "prefix",
        "batch",
    ];
    let settings = |extra: &[&str]| -> anyhow::Result<Settings> {
        args.only(&[&common[..], extra].concat())?;
        let batch = args.get("batch")?.unwrap_or(DEFAULT_BATCH);
        if batch == 0 {
            bail!("--batch must be at least 1");
        }
        Ok(Settings {
            owner_id: args.required("owner-id")?,
            tenant_id: args.get("tenant-id")?.unwrap_or(SYSTEM_TENANT_ID),
            batch,
        })
    };
    match args.positional() {
        [what] if what == "apps" => {
            let settings = settings(&["count"])?;
            let target = Target::open(
                &args,
                "OAUTH_APPS",
                "oauth-apps.db",
                "keys/oauth-apps-encryption.keys",
                oauth_apps::MIGRATIONS,
            )?;
            let prefix = args.text("prefix").unwrap_or("bench_app");
            seed_apps(target, &settings, prefix, args.required("count")?)
        }
        [what] if what == "profiles" => {
            let settings = settings(&["count", "up-to", "app-id"])?;
            let target = Target::open(
                &args,
                "OAUTH_PROFILES",
                "oauth-profiles.db",
                "keys/oauth-profiles-encryption.keys",
                oauth_profiles::MIGRATIONS,
            )?;
            let prefix = args.text("prefix").unwrap_or("bench_profile");
            let amount = match (args.get("count")?, args.get("up-to")?) {
                (Some(count), None) => Amount::Count(count),
                (None, Some(total)) => Amount::UpTo(total),
                _ => bail!("give exactly one of --count and --up-to (see --help)"),
            };
            seed_profiles(target, &settings, prefix, args.required("app-id")?, amount)
        }
        _ => bail!("expected one command, apps or profiles (see --help)"),
    }
}

struct Settings {
    owner_id: i64,
    tenant_id: i64,
    batch: u64,
}

enum Amount {
    Count(u64),
    UpTo(u64),
}

/// A service's database, migrated, and its key ring.
struct Target {
    conn: PooledConnection,
    ring: KeyRing,
}

type PooledConnection = diesel::r2d2::PooledConnection<db::ConnectionManager>;

impl Target {
    fn open(
        args: &Args,
        prefix: &str,
        default_db: &str,
        default_keys: &str,
        migrations: Migrations,
    ) -> anyhow::Result<Self> {
        let url_text = match args.text("database-url") {
            Some(url) => url.to_owned(),
            None => path_text(args.path_in_data_dir("database-url", default_db)?),
        };
        let variable = format!("{prefix}_DATABASE_URL");
        let url = DatabaseUrl::parse(&variable, &url_text)?;
        let keys = args.path_in_data_dir("keys", default_keys)?;
        let ring = secrets::load_key_ring(prefix, None, &keys, None).map_err(anyhow::Error::msg)?;
        let pool = db::connect(
            &variable,
            &url,
            migrations,
            PoolOptions {
                max_size: 1,
                ..PoolOptions::default()
            },
        )?;
        let conn = pool
            .get()
            .with_context(|| format!("cannot connect to {}", url.redacted()))?;
        Ok(Target { conn, ring })
    }

    /// Inserts `rows` rows in transactions of `batch`, `insert_one(conn, n)` inserting row
    /// number `n` (counted from `first_number`) and returning its id; prints progress and the
    /// final report line.
    fn fill(
        &mut self,
        table: &str,
        rows: u64,
        batch: u64,
        first_number: u64,
        mut insert_one: impl FnMut(&mut DbConnection, &KeyRing, u64) -> QueryResult<i64>,
    ) -> anyhow::Result<Report> {
        let started = Instant::now();
        let mut ids: Option<(i64, i64)> = None;
        let mut done = 0;
        while done < rows {
            let size = batch.min(rows - done);
            let ring = &self.ring;
            let (first, last) = self
                .conn
                .transaction(|conn| {
                    let mut range = (i64::MAX, i64::MIN);
                    for n in first_number + done..first_number + done + size {
                        let id = insert_one(conn, ring, n)?;
                        range = (range.0.min(id), range.1.max(id));
                    }
                    QueryResult::Ok(range)
                })
                .with_context(|| format!("inserting into {table} failed after {done} rows"))?;
            ids = Some(ids.map_or((first, last), |(a, b)| (a.min(first), b.max(last))));
            done += size;
            if done % 100_000 == 0 && done < rows {
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "seed: {table}: {done} of {rows} rows, {:.0} rows/s",
                    done as f64 / secs
                );
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        checkpoint(&mut self.conn);
        Ok(Report {
            table: table.to_owned(),
            rows,
            ids,
            seconds,
        })
    }
}

struct Report {
    table: String,
    rows: u64,
    ids: Option<(i64, i64)>,
    seconds: f64,
}

impl Report {
    fn print(&self, total_rows: i64) {
        let (first, last) = self.ids.unwrap_or((0, 0));
        let rate = if self.seconds > 0.0 {
            self.rows as f64 / self.seconds
        } else {
            0.0
        };
        println!(
            "seeded table={} rows={} first_id={first} last_id={last} seconds={:.2} \
             rows_per_s={rate:.0} total_rows={total_rows}",
            self.table, self.rows, self.seconds
        );
    }
}

/// Folds SQLite's write-ahead log back into the database file, so that what is measured next
/// does not start with a log of a million rows; PostgreSQL needs nothing.
fn checkpoint(conn: &mut DbConnection) {
    if let DbConnection::Sqlite(sqlite) = conn {
        if let Err(err) = sqlite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);") {
            eprintln!("seed: WAL checkpoint failed (not fatal): {err}");
        }
    }
}

fn seed_apps(
    mut target: Target,
    settings: &Settings,
    prefix: &str,
    count: u64,
) -> anyhow::Result<()> {
    use ::oauth_apps::domain::OauthAppInput;
    use ::oauth_apps::models;
    use ::oauth_apps::schema::oauth_apps;

    let tenant = settings.tenant_id;
    let existing = count_rows(&mut target.conn, |conn| {
        oauth_apps::table
            .filter(oauth_apps::tenant_id.eq(tenant))
            .count()
            .get_result(conn)
    })?;
    let owner = settings.owner_id;
    let report = target.fill(
        "oauth_apps",
        count,
        settings.batch,
        existing + 1,
        |conn, ring, n| {
            let input = OauthAppInput {
                name: format!("{prefix}_{n}"),
                data_store: 54,
                tenant_id: Some(tenant),
                description: Some(format!("Benchmark OAuth application {n}")),
                client_id: format!("bench-client-{n}.apps.example.com"),
                client_secret: format!("bench-secret-{n:012}-GOCSPX-abcdefghijklmnopqrstu"),
                authorize_uri: "https://accounts.google.com/o/oauth2/v2/auth".to_owned(),
                token_uri: "https://www.googleapis.com/oauth2/v3/token".to_owned(),
                scope: "full_offline_access, test_repo".to_owned(),
                token_auth_method: None,
            };
            models::insert(conn, ring, tenant, owner, &input).map(|app| app.id)
        },
    )?;
    report.print(existing_plus(existing, count));
    Ok(())
}

fn seed_profiles(
    mut target: Target,
    settings: &Settings,
    prefix: &str,
    app_id: i64,
    amount: Amount,
) -> anyhow::Result<()> {
    use ::oauth_profiles::domain::OauthProfileInput;
    use ::oauth_profiles::models::{self, Owner};
    use ::oauth_profiles::schema::oauth_profiles;

    let owner = settings.owner_id;
    let tenant = settings.tenant_id;
    let existing = count_rows(&mut target.conn, |conn| {
        oauth_profiles::table
            .filter(oauth_profiles::owner_id.eq(owner))
            .count()
            .get_result(conn)
    })?;
    let rows = match amount {
        Amount::Count(count) => count,
        Amount::UpTo(total) => total.saturating_sub(existing),
    };
    let report = target.fill(
        "oauth_profiles",
        rows,
        settings.batch,
        existing + 1,
        |conn, ring, n| {
            // About the size of real Google tokens.
            let input = OauthProfileInput {
                name: format!("{prefix}_{n}"),
                oauth_app_id: app_id,
                description: Some(format!("Benchmark OAuth profile {n}")),
                access_token: Some(format!(
                    "ya29.a0AfB_byBench{n:012}-access-token-0123456789abcdefghijklmnopqrstuvwxyz\
                     ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz"
                )),
                refresh_token: format!(
                    "1//0bench{n:012}-refresh-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
                ),
                expires_at: None,
            };
            let owner = Owner {
                user_id: owner,
                tenant_id: tenant,
            };
            // Inserted pending and activated at once, as a create whose application check
            // passed (the seed's application exists and is live).
            let id = models::insert(conn, ring, owner, &input)?.id;
            models::activate(conn, id)?;
            Ok(id)
        },
    )?;
    report.print(existing_plus(existing, rows));
    Ok(())
}

/// How many rows the owner (or tenant) has now.
fn count_rows(
    conn: &mut DbConnection,
    query: impl FnOnce(&mut DbConnection) -> QueryResult<i64>,
) -> anyhow::Result<u64> {
    let count = query(conn).context("cannot count the existing rows")?;
    u64::try_from(count).context("negative row count")
}

fn existing_plus(existing: u64, added: u64) -> i64 {
    i64::try_from(existing + added).unwrap_or(i64::MAX)
}

fn path_text(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
}
