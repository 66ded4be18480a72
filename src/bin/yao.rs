fn main() {
    eprintln!("yao: not built yet");
    std::process::exit(2);
}
