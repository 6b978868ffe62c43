//! Generates the Fluxer client from `openapi/fluxer-oauth2.yaml`: progenitor's client and models, the
//! table of what each operation accepts, the typed call of every operation on `FluxerClient`, and the
//! input checks of every request body, all read from the spec.
//!
//! Outputs, all in `$OUT_DIR` and included only from `src/generated.rs`:
//! - `codegen.rs`: progenitor's `Client` (builder interface) and `types`, with the `api-version`
//!   header it always adds taken out (the server ignores it) and builders only for request bodies.
//! - `operations.rs`: `OPERATIONS` (id, method, path, credentials, scopes, sudo, single use) and
//!   `operation(id)`, a `match` on the id.
//! - `calls.rs`: one call builder per operation and the `FluxerClient` method that starts it.
//! - `checks.rs`: `validate::Check` for every request body, from the schema's limits.

#[path = "build/builders.rs"]
mod builders;
#[path = "build/calls.rs"]
mod calls;
#[path = "build/checks.rs"]
mod checks;
#[path = "build/codegen.rs"]
mod codegen;
#[path = "build/spec.rs"]
mod spec;
#[path = "build/table.rs"]
mod table;

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed={}", spec::SPEC);
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");

    let spec = spec::Spec::load();
    let file = codegen::generate(&spec);
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out_dir);
    write(out.join("codegen.rs"), &prettyplease::unparse(&file));
    write(out.join("operations.rs"), &table::generate(&spec));
    write(out.join("calls.rs"), &calls::generate(&spec, &file));
    write(out.join("checks.rs"), &checks::generate(&spec));
}

fn write(path: impl AsRef<Path>, contents: &str) {
    fs::write(path.as_ref(), contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.as_ref().display()));
}
