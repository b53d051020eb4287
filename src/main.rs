use clap::Parser;
use synthesize_sim::config::{Command, Config};
use synthesize_sim::domain::ids::GradientToken;
use synthesize_sim::Application;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut config = Config::parse();
    if let Some(Command::DemoVendor(args)) = config.command.take() {
        return synthesize_sim::demo_vendor::cli::main(args).await;
    }
    let db = config.db.clone();
    let bind = config.bind.clone();
    let bind_addr = config.bind.clone();
    let app = match Application::build(config) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("synthesize-sim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let host = if bind == "0.0.0.0" {
        "127.0.0.1".to_string()
    } else {
        bind
    };
    let url = format!("{}://{host}:{}", app.scheme(), app.port());
    let keys = &app.demo_keys;
    println!("synthesize-sim {} listening on {url}", env!("CARGO_PKG_VERSION"));
    println!("  partner console   {url}/");
    println!("  vendor API        {url}/api/vendor-api   (base URL {url} or {url}/api)");
    println!("  control API       {url}/sim   (OpenAPI: {url}/sim/openapi.json)");
    println!("  database          {db}");
    println!("  vendor API key    {}", keys.vendor_api_key);
    if let Some(pk) = &keys.partner_api_key {
        println!("  partner API key   {pk}   (kickoff key of the seeded integration)");
        println!(
            "  GRADIENT-TOKEN    {}",
            GradientToken::encode(&keys.vendor_api_key, pk)
        );
    }
    if let Some(note) = app.tls_note() {
        print!("{note}");
    }
    if let Some(token) = app.control_token() {
        println!("  control token     {token}   (/sim and the console: header X-Sim-Control-Token, or enter it once)");
    }
    if !synthesize_sim::api::guard::is_loopback_bind(&bind_addr) {
        eprintln!(
            "warning: listening on {bind_addr}, beyond this machine: anyone who can reach it may call the vendor API; \
             /sim and the console require the control token"
        );
    }
    match app.server().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synthesize-sim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
