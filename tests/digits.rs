//! Private inference at a realistic size: the 64-32-10 digit classifier
//! (`circuits/digits_mlp.yao`) with the model `scripts/train_digits.py`
//! trained and quantized. The 2PC class of every committed test image must
//! be `eval_plain`'s and the script's; and the circuit must compute the
//! script's integer model on any input, extreme ones included, checked
//! against that model written again in Rust.

use rand::{RngExt, SeedableRng};
use yao::{Circuit, Inputs, Party};

// The example's loading and session code; its `main` is the example's own.
#[allow(dead_code)]
#[path = "../examples/private_inference.rs"]
mod private_inference;

use private_inference::{circuit, classify, image, model, TestSet};

/// The AND count of `circuits/digits_mlp.yao`, as docs/private_inference.md
/// and the circuit's header give it: update them together.
const ANDS: u64 = 68_606;

#[test]
fn every_test_image_classified_by_2pc_as_in_plaintext_and_by_the_script() {
    let circuit = circuit().unwrap();
    let model = model(&circuit).unwrap();
    let test = TestSet::load().unwrap();
    assert_eq!(test.images.len(), 450);
    let images: Vec<Inputs> = test
        .images
        .iter()
        .map(|pixels| image(&circuit, pixels).unwrap())
        .collect();
    let run = classify(&circuit, &model, &images).unwrap();
    assert_eq!(run.classes.len(), images.len());
    for (k, &class) in run.classes.iter().enumerate() {
        let plain: u8 = circuit
            .eval_plain(&model, &images[k])
            .unwrap()
            .get("class")
            .unwrap();
        assert_eq!(class, plain, "image {k}: 2PC and eval_plain");
        assert_eq!(class, test.predictions[k], "image {k}: 2PC and the script");
    }
    let correct = run
        .classes
        .iter()
        .zip(&test.labels)
        .filter(|(c, l)| c == l)
        .count();
    let accuracy = correct as f64 / images.len() as f64;
    assert!((accuracy - test.quantized_accuracy).abs() < 1e-6);
    // The quantized model stays close to the float one (1 image in 450 is 0.22%).
    assert!(accuracy > 0.96, "{accuracy}");
    assert!(test.float_accuracy - accuracy < 0.01, "{accuracy}");
}

#[test]
fn the_circuit_costs_what_the_docs_say() {
    let circuit = circuit().unwrap();
    assert_eq!(circuit.ir().stats().and, ANDS);
    let inputs = &circuit.ir().inputs;
    let evaluator: Vec<_> = inputs
        .iter()
        .filter(|i| i.party == Party::Evaluator)
        .collect();
    assert_eq!(evaluator.len(), 1);
    assert_eq!(evaluator[0].ty.to_string(), "[u5; 64]");
    // The evaluator learns the class and nothing else.
    let outputs = &circuit.ir().outputs;
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].name, "class");
    assert_eq!(outputs[0].ty.to_string(), "u4");
}

#[test]
fn the_circuit_compiles_without_warnings() {
    use yao::compiler::lang::{compile_file_checked, Limits};
    let path = private_inference::repository_file("circuits/digits_mlp.yao");
    let checked = compile_file_checked(&path, Limits::default()).unwrap();
    assert!(
        checked.warnings.is_empty(),
        "{}",
        checked.warnings.render(false)
    );
}

/// The integer model of `scripts/train_digits.py` (and of the circuit's
/// header), in Rust: an independent reference.
struct Model {
    w1: Vec<Vec<i64>>,
    b1: Vec<i64>,
    w2: Vec<Vec<i64>>,
    b2: Vec<i64>,
}

const SHIFT: u32 = 5;

impl Model {
    fn classify(&self, image: &[u8]) -> u8 {
        let x: Vec<i64> = image.iter().map(|&p| i64::from(p >> 1).min(7)).collect();
        let h: Vec<i64> = (0..32)
            .map(|j| {
                let a = self.b1[j] + (0..64).map(|i| self.w1[j][i] * x[i]).sum::<i64>();
                (a.max(0) >> SHIFT).min(7)
            })
            .collect();
        let z: Vec<i64> = (0..10)
            .map(|c| self.b2[c] + (0..32).map(|j| self.w2[c][j] * h[j]).sum::<i64>())
            .collect();
        // The first maximum on ties.
        let mut best = 0;
        for c in 1..10 {
            if z[c] > z[best] {
                best = c;
            }
        }
        best as u8
    }

    fn inputs(&self, circuit: &Circuit) -> Inputs {
        let mut g = circuit.inputs(Party::Garbler);
        g.set("w1", self.w1.clone())
            .unwrap()
            .set("b1", self.b1.clone())
            .unwrap()
            .set("w2", self.w2.clone())
            .unwrap()
            .set("b2", self.b2.clone())
            .unwrap();
        g
    }

    /// A model whose every value is drawn by `pick(field, row, lo, hi)`
    /// from its type's range (`i4` and `i6` weights, `i12` biases); `row`
    /// is the hidden unit or class the value belongs to.
    fn drawn(mut pick: impl FnMut(&str, usize, i64, i64) -> i64) -> Model {
        let mut matrix = |field, rows, cols, lo, hi| -> Vec<Vec<i64>> {
            (0..rows)
                .map(|row| (0..cols).map(|_| pick(field, row, lo, hi)).collect())
                .collect()
        };
        let w1 = matrix("w1", 32, 64, -8, 7);
        let b1 = matrix("b1", 32, 1, -2048, 2047).concat();
        let w2 = matrix("w2", 10, 32, -32, 31);
        let b2 = matrix("b2", 10, 1, -2048, 2047).concat();
        Model { w1, b1, w2, b2 }
    }
}

fn from_json(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_i64().unwrap())
        .collect()
}

fn committed_model() -> Model {
    let path = private_inference::repository_file("circuits/digits/model.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rows = |name: &str| -> Vec<Vec<i64>> {
        json[name]
            .as_array()
            .unwrap()
            .iter()
            .map(from_json)
            .collect()
    };
    Model {
        w1: rows("w1"),
        b1: from_json(&json["b1"]),
        w2: rows("w2"),
        b2: from_json(&json["b2"]),
    }
}

fn plain_class(circuit: &Circuit, model: &Inputs, pixels: &[u8]) -> u8 {
    let e = image(circuit, pixels).unwrap();
    circuit.eval_plain(model, &e).unwrap().get("class").unwrap()
}

#[test]
fn the_rust_reference_agrees_with_the_script_and_the_circuit_on_the_test_set() {
    let circuit = circuit().unwrap();
    let reference = committed_model();
    let model = reference.inputs(&circuit);
    let test = TestSet::load().unwrap();
    for (k, pixels) in test.images.iter().enumerate() {
        let class = reference.classify(pixels);
        assert_eq!(class, test.predictions[k], "image {k}: Rust and the script");
        assert_eq!(plain_class(&circuit, &model, pixels), class, "image {k}");
    }
}

/// Random and extreme models and images, pixels 17..31 included (a `u5`
/// the data set never holds): no sum may overflow, so the circuit is the
/// integer model on every input, not only on digits.
#[test]
fn the_circuit_is_the_integer_model_on_any_input() {
    let circuit = circuit().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut random = |_: &str, _, lo, hi| rng.random_range(lo..=hi);
    let mut models = vec![];
    // Layer 1's sums at either end of their range, with the bias at either
    // end, and a random layer 2 that tells the hidden units' values apart.
    for (w, b) in [(0, 0), (1, 1), (0, 1), (1, 0)] {
        models.push(Model::drawn(|field, row, lo, hi| match field {
            "w1" => [lo, hi][w],
            "b1" => [lo, hi][b],
            _ => random(field, row, lo, hi),
        }));
    }
    // Every hidden unit at 7 and layer 2's sums at either end of their
    // range, but class 3's halfway there (half its weights are 0): had any
    // sum or score wrapped around, another class would win.
    for end in [0, 1] {
        let mut k = 0;
        models.push(Model::drawn(|field, row, lo, hi| {
            k += 1;
            match field {
                "w1" | "b1" => hi,
                "w2" if row == 3 && k % 2 == 0 => 0,
                _ => [lo, hi][end],
            }
        }));
    }
    models.extend((0..6).map(|_| Model::drawn(|_, _, lo, hi| rng.random_range(lo..=hi))));
    // Small weights and biases: sums near zero, where ReLU and the
    // requantization's saturation switch.
    models.extend((0..6).map(|_| Model::drawn(|_, _, _, _| rng.random_range(-3..=3))));
    let mut images = vec![vec![0u8; 64], vec![31u8; 64], vec![16u8; 64]];
    images.extend((0..6).map(|_| (0..64).map(|_| rng.random_range(0..=31)).collect()));
    images.extend((0..6).map(|_| (0..64).map(|_| rng.random_range(0..=16)).collect()));
    let mut classes = std::collections::BTreeSet::new();
    for (m, reference) in models.iter().enumerate() {
        let model = reference.inputs(&circuit);
        for (k, pixels) in images.iter().enumerate() {
            let class = reference.classify(pixels);
            assert_eq!(
                plain_class(&circuit, &model, pixels),
                class,
                "model {m}, image {k}"
            );
            classes.insert(class);
        }
    }
    // The cases reach more than one class (a test that cannot fail would not).
    assert!(classes.len() > 3, "{classes:?}");
}

#[test]
fn values_outside_the_circuits_types_are_refused_by_name() {
    let circuit = circuit().unwrap();
    let mut g = circuit.inputs(Party::Garbler);
    let mut w1 = vec![vec![0i64; 64]; 32];
    w1[3][7] = 8; // i4 holds -8..7
    let e = g.set("w1", w1).unwrap_err().to_string();
    assert!(e.contains("w1") && e.contains("[[i4; 64]; 32]"), "{e}");
    let e = image(&circuit, &[32u8; 64]).unwrap_err().to_string();
    assert!(e.contains("image") && e.contains("[u5; 64]"), "{e}");
    let e = image(&circuit, &[1u8; 63]).unwrap_err().to_string();
    assert!(e.contains("image"), "{e}");
}
