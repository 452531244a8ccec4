//! Prints the OpenAPI document, e.g. to feed a validator:
//! `cargo run -q -p api-doc --example dump > openapi.json`.

fn main() -> Result<(), serde_json::Error> {
    println!("{}", api_doc::openapi().to_pretty_json()?);
    Ok(())
}
