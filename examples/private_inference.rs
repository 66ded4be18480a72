//! Private inference at a realistic size: a garbler who owns a trained
//! neural network (64-32-10 with ReLU, `circuits/digits_mlp.yao`) classifies
//! an evaluator's 8x8 handwritten digits; the evaluator learns the class and
//! nothing else about the model, the garbler nothing about the images.
//!
//! ```sh
//! cargo run --release --example private_inference        # all 450 test images
//! cargo run --release --example private_inference -- 50  # the first 50
//! ```
//!
//! It prints the circuit's AND count and compile time, the accuracies of the
//! float model, the quantized model (both from `scripts/train_digits.py`)
//! and the 2PC classification, which must agree with the quantized model on
//! every image, and the time and bytes of the 2PC per image: in one session
//! of many images (pipelined), and as one session per image.

use std::error::Error;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use yao::runtime::channel::{Deadline, Traffic};
use yao::runtime::{Channel, ChannelError, TcpChannel};
use yao::{Circuit, Inputs, Party, Session};

/// Where the circuit and the script's files are.
pub fn repository_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The held-out test set as `scripts/train_digits.py` wrote it.
pub struct TestSet {
    /// Raw pixels, 0..16, row by row.
    pub images: Vec<Vec<u8>>,
    pub labels: Vec<u8>,
    /// The script's integer (quantized) model's classes.
    pub predictions: Vec<u8>,
    pub float_accuracy: f64,
    pub quantized_accuracy: f64,
}

impl TestSet {
    pub fn load() -> Result<TestSet, Box<dyn Error>> {
        let path = repository_file("circuits/digits/test.json");
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let field = |name: &str| {
            json.get(name)
                .ok_or_else(|| format!("{}: no `{name}`", path.display()))
        };
        let small = |v: &serde_json::Value| -> Result<u8, String> {
            v.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| format!("{}: `{v}` is not a small integer", path.display()))
        };
        let list = |v: &serde_json::Value| -> Result<Vec<u8>, String> {
            let items = v
                .as_array()
                .ok_or_else(|| format!("{}: `{v}` is not a list", path.display()))?;
            items.iter().map(small).collect()
        };
        let images = field("images")?
            .as_array()
            .ok_or("`images` is not a list")?
            .iter()
            .map(list)
            .collect::<Result<Vec<_>, _>>()?;
        let labels = list(field("labels")?)?;
        let predictions = list(field("predictions")?)?;
        if labels.len() != images.len() || predictions.len() != images.len() {
            return Err(format!(
                "{}: images, labels and predictions differ in number",
                path.display()
            )
            .into());
        }
        let accuracy = |name: &str| -> Result<f64, Box<dyn Error>> {
            Ok(field(name)?
                .as_f64()
                .ok_or(format!("`{name}` is not a number"))?)
        };
        Ok(TestSet {
            images,
            labels,
            predictions,
            float_accuracy: accuracy("float_accuracy")?,
            quantized_accuracy: accuracy("quantized_accuracy")?,
        })
    }
}

/// The classifier circuit, compiled from its source.
pub fn circuit() -> Result<Circuit, yao::Error> {
    Circuit::load(repository_file("circuits/digits_mlp.yao"))
}

/// The garbler's inputs: the model, read from the input file that
/// `garbler --input-file` takes too.
pub fn model(circuit: &Circuit) -> Result<Inputs, Box<dyn Error>> {
    let text = std::fs::read_to_string(repository_file("circuits/digits/model.json"))?;
    let mut inputs = circuit.inputs(Party::Garbler);
    yao::inputs::set_typed(&mut inputs, &yao::inputs::values_from_json(&text)?)?;
    Ok(inputs)
}

/// The evaluator's inputs: one image.
pub fn image(circuit: &Circuit, pixels: &[u8]) -> Result<Inputs, yao::Error> {
    let mut inputs = circuit.inputs(Party::Evaluator);
    inputs.set("image", pixels)?;
    Ok(inputs)
}

/// Bytes both ways, counted on one party's channel.
#[derive(Clone, Default)]
pub struct Meter(Arc<[AtomicU64; 2]>);

impl Meter {
    /// Bytes sent plus bytes received so far.
    pub fn total(&self) -> u64 {
        self.0[0].load(Ordering::Relaxed) + self.0[1].load(Ordering::Relaxed)
    }
}

/// A channel that counts what passes through it for a [`Meter`].
struct Metered<C> {
    inner: C,
    meter: Meter,
}

impl<C: Channel> Channel for Metered<C> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.meter.0[0].fetch_add(data.len() as u64, Ordering::Relaxed);
        self.inner.write_all(data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.meter.0[1].fetch_add(buf.len() as u64, Ordering::Relaxed);
        self.inner.read_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> Traffic {
        self.inner.traffic()
    }
    fn timeout(&self) -> Option<Duration> {
        self.inner.timeout()
    }
    fn deadline(&self) -> Option<Deadline> {
        self.inner.deadline()
    }
    fn set_deadline(&mut self, deadline: Option<Deadline>) {
        self.inner.set_deadline(deadline)
    }
}

/// What one session of classifications gave and cost, seen by the evaluator.
pub struct Classified {
    /// The class of each image, as the evaluator learned it.
    pub classes: Vec<u8>,
    /// Starting the session: the handshake, the base OTs, each party's
    /// preparation of the circuit.
    pub setup: Duration,
    /// All the executions, pipelined.
    pub executions: Duration,
    pub setup_bytes: u64,
    pub execution_bytes: u64,
}

/// Classifies `images` in one session over loopback TCP, the garbler on a
/// thread of its own; checks that both parties learned the same classes.
pub fn classify(
    circuit: &Circuit,
    model: &Inputs,
    images: &[Inputs],
) -> Result<Classified, Box<dyn Error>> {
    // Connected before the garbler's thread starts, so that no failure
    // leaves it waiting for a connection.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let evaluator_end = TcpStream::connect(listener.local_addr()?)?;
    let garbler_end = listener.accept()?.0;
    let timeout = Some(yao::DEFAULT_TIMEOUT);
    std::thread::scope(|s| {
        let garbler = s.spawn(|| -> Result<Vec<u8>, Box<dyn Error + Send + Sync>> {
            let channel = TcpChannel::new(garbler_end, timeout)?;
            let mut session = Session::start_on(channel, circuit, Party::Garbler)?;
            let outputs = session.execute_all(std::iter::repeat_n(model, images.len()))?;
            session.finish()?;
            Ok(classes(&outputs)?)
        });
        let meter = Meter::default();
        let channel = Metered {
            inner: TcpChannel::new(evaluator_end, timeout)?,
            meter: meter.clone(),
        };
        let start = Instant::now();
        let mut session = Session::start_on(channel, circuit, Party::Evaluator)?;
        let setup = start.elapsed();
        let setup_bytes = meter.total();
        let outputs = session.execute_all(images)?;
        session.finish()?;
        let executions = start.elapsed() - setup;
        let classes = classes(&outputs)?;
        let garbler_learned = garbler
            .join()
            .expect("the garbler's thread")
            .map_err(|e| e as Box<dyn Error>)?;
        if garbler_learned != classes {
            return Err("the parties learned different classes".into());
        }
        Ok(Classified {
            classes,
            setup,
            executions,
            setup_bytes,
            execution_bytes: meter.total() - setup_bytes,
        })
    })
}

fn classes(outputs: &[yao::Outputs]) -> Result<Vec<u8>, yao::Error> {
    outputs.iter().map(|o| o.get("class")).collect()
}

fn percent(hits: usize, of: usize) -> f64 {
    100.0 * hits as f64 / of as f64
}

pub fn main() -> Result<(), Box<dyn Error>> {
    let limit = match std::env::args().nth(1) {
        Some(n) => Some(
            n.parse::<usize>()
                .map_err(|_| "usage: private_inference [IMAGES]")?,
        ),
        None => None,
    };
    let start = Instant::now();
    let circuit = circuit()?;
    let compile = start.elapsed();
    let ands = circuit.ir().stats().and;
    println!(
        "circuit digits_mlp (64-32-10, ReLU): {ands} ANDs, compiled in {:.0} ms",
        compile.as_secs_f64() * 1e3
    );

    let test = TestSet::load()?;
    let n = limit.unwrap_or(test.images.len()).min(test.images.len());
    let model = model(&circuit)?;
    let images = test.images[..n]
        .iter()
        .map(|pixels| image(&circuit, pixels))
        .collect::<Result<Vec<_>, _>>()?;

    let run = classify(&circuit, &model, &images)?;
    let mut agree = 0;
    for (k, &class) in run.classes.iter().enumerate() {
        let plain: u8 = circuit.eval_plain(&model, &images[k])?.get("class")?;
        if class != plain || class != test.predictions[k] {
            return Err(format!(
                "image {k}: 2PC says {class}, eval_plain {plain}, the script's quantized model {}",
                test.predictions[k]
            )
            .into());
        }
        agree += 1;
    }
    let correct = (0..n).filter(|&k| run.classes[k] == test.labels[k]).count();
    let script_correct = (0..n)
        .filter(|&k| test.predictions[k] == test.labels[k])
        .count();

    println!(
        "test set: {n} of {} images; accuracy of the float model on all {}: {:.2}%, of the quantized model: {:.2}%",
        test.images.len(),
        test.images.len(),
        100.0 * test.float_accuracy,
        100.0 * test.quantized_accuracy
    );
    println!(
        "2PC accuracy: {:.2}% ({correct}/{n}; the quantized model: {script_correct}/{n}); \
         2PC agrees with eval_plain and the quantized model on {agree}/{n}",
        percent(correct, n),
    );
    let per_image = run.executions / n.max(1) as u32;
    println!(
        "one session, {n} images pipelined: setup {:.1} ms and {} KB, then {:.2} ms and {:.2} MB per image ({:.0} images/s)",
        run.setup.as_secs_f64() * 1e3,
        run.setup_bytes / 1000,
        per_image.as_secs_f64() * 1e3,
        run.execution_bytes as f64 / n.max(1) as f64 / 1e6,
        n as f64 / run.executions.as_secs_f64()
    );

    // A fresh session per image: what one query costs on its own.
    let single = n.min(10);
    let start = Instant::now();
    let mut bytes = 0;
    for (k, one) in images[..single].iter().enumerate() {
        let run = classify(&circuit, &model, std::slice::from_ref(one))?;
        if run.classes[0] != test.predictions[k] {
            return Err(format!("image {k}: a session of its own gives another class").into());
        }
        bytes += run.setup_bytes + run.execution_bytes;
    }
    if single > 0 {
        println!(
            "one session per image (mean of {single}): {:.1} ms and {:.2} MB per image, setup included",
            start.elapsed().as_secs_f64() * 1e3 / single as f64,
            bytes as f64 / single as f64 / 1e6
        );
    }
    Ok(())
}
