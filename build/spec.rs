//! The spec as build.rs reads it: the raw document, and the operations in document order with what
//! the generators need from each.

use std::collections::BTreeSet;

use serde_json::Value;

pub const SPEC: &str = "openapi/fluxer-oauth2.yaml";

/// The methods an operation can sit under, in the order the generators visit them.
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

pub struct Spec {
    /// The document as JSON.
    pub doc: Value,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
}

pub struct Operation {
    pub id: String,
    pub method: &'static str,
    pub path: String,
    /// The operation object itself.
    pub raw: Value,
}

impl Operation {
    pub fn flag(&self, name: &str) -> bool {
        self.raw.get(name).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(Value::as_str)
    }

    /// The component schema name of the request body, if the body is a `$ref`.
    pub fn body_schema(&self) -> Option<&str> {
        let content = self.raw.get("requestBody")?.get("content")?.as_object()?;
        let schema = content.values().next()?.get("schema")?;
        schema
            .get("$ref")?
            .as_str()?
            .strip_prefix("#/components/schemas/")
    }
}

impl Spec {
    pub fn load() -> Self {
        let text =
            std::fs::read_to_string(SPEC).unwrap_or_else(|e| fail(&format!("cannot read it: {e}")));
        let doc: Value = serde_norway::from_str(&text)
            .unwrap_or_else(|e| fail(&format!("it is not valid YAML: {e}")));
        let mut ids = BTreeSet::new();
        let mut operations = Vec::new();
        let paths = doc["paths"]
            .as_object()
            .unwrap_or_else(|| fail("paths is missing"));
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(*method) else {
                    continue;
                };
                let id = op["operationId"]
                    .as_str()
                    .unwrap_or_else(|| fail(&format!("{method} {path} has no operationId")));
                if !ids.insert(id.to_owned()) {
                    fail(&format!("operationId {id} appears twice"));
                }
                operations.push(Operation {
                    id: id.to_owned(),
                    method,
                    path: path.clone(),
                    raw: op.clone(),
                });
            }
        }
        Self { doc, operations }
    }

    /// A component schema by name.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.doc["components"]["schemas"].get(name)
    }
}

pub fn fail(why: &str) -> ! {
    panic!("\n\nfluxer-oauth2: the OpenAPI spec {SPEC} could not be used: {why}\n\n");
}
