//! Alice and Bob learn which of them is richer, and nothing else: the
//! library's whole API in one screen. Both parties run in this process over
//! a loopback TCP connection; on two machines each runs its own half.
//!
//! ```sh
//! cargo run --release --example millionaires
//! ```

use std::net::{TcpListener, TcpStream};
use yao::{Circuit, Party};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // circuit millionaires(garbler alice: u64, evaluator bob: u64) -> bool { alice > bob }
    let circuit = Circuit::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/circuits/millionaires.yao"
    ))?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;

    // Alice garbles, on a thread of her own: she waits for Bob to connect.
    let alice = std::thread::spawn({
        let circuit = circuit.clone();
        move || -> Result<bool, yao::Error> {
            let mut inputs = circuit.inputs(Party::Garbler);
            inputs.set("alice", 5_000_000u64)?;
            let (stream, _) = listener.accept()?;
            yao::run(stream, &inputs)?.get("out")
        }
    });

    // Bob evaluates.
    let mut inputs = circuit.inputs(Party::Evaluator);
    inputs.set("bob", 4_200_000u64)?;
    let outputs = yao::run(TcpStream::connect(addr)?, &inputs)?;
    let alice_is_richer: bool = outputs.get("out")?;

    println!("Bob learns:   alice > bob = {alice_is_richer}");
    println!(
        "Alice learns: alice > bob = {}",
        alice.join().expect("Alice's thread")?
    );
    Ok(())
}
