//! Micro-benchmarks of the contract services, per contract: validating a
//! body (schema, then schema and invariants) and generating one. Parsing the
//! same body with serde_json is the baseline in the same process, so the
//! figures read as ratios: `cargo bench -p session-schemas`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use session_schemas::{Clock, Mode, Outcome, Registry};
use time::OffsetDateTime;

fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    for contract in Registry::builtin().contracts() {
        let scenario = contract.outcome(Outcome::Authenticated);
        let now = OffsetDateTime::now_utc();
        let body = scenario.body_at(now);
        let text = body.to_string();
        let clock = Clock::now();
        group.bench_with_input(
            BenchmarkId::new("parse (baseline)", &contract.name),
            &text,
            |b, text| b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(text))),
        );
        group.bench_with_input(
            BenchmarkId::new("schema", &contract.name),
            &body,
            |b, body| b.iter(|| contract.validate(scenario.status, black_box(body), Mode::Lenient)),
        );
        group.bench_with_input(
            BenchmarkId::new("schema+invariants", &contract.name),
            &body,
            |b, body| {
                b.iter(|| {
                    contract.check(
                        scenario.status,
                        black_box(body),
                        Mode::Lenient,
                        Some(&clock),
                    )
                })
            },
        );
    }
    group.finish();
}

fn generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    for contract in Registry::builtin().contracts() {
        let status = contract.outcome(Outcome::Authenticated).status;
        let mut generator = contract
            .generator(status, OffsetDateTime::now_utc(), 7)
            .expect("a documented status");
        group.bench_function(BenchmarkId::new("body", &contract.name), |b| {
            b.iter(|| generator.next())
        });
    }
    group.finish();
}

criterion_group!(benches, validation, generation);
criterion_main!(benches);
