use yao_compiler::lang::compile_str;
#[test]
fn smoke() {
    let c = compile_str("m.yao", include_str!("../../circuits/millionaires.yao"))
        .unwrap_or_else(|d| panic!("{d}"));
    println!("{:?}", c.stats());
    let src = "circuit t(garbler a: u8, evaluator b: u8) -> (u8, u8, bool) {\n let x: u16 = a as u16 + 300;\n (a * b, a - b, x > 1000 }";
    match compile_str("t.yao", src) {
        Ok(_) => panic!(),
        Err(d) => println!("{}", d),
    }
    let src = "fn f(x: u8) -> u9 { x + 1 }\ncircuit t(garbler a: u8, evaluator b: u8) -> (u8, u8, bool) {\n let x: u16 = a as u16 + 300;\n (a * bb, a - b, x > 1000 as u8, f(a)) }";
    match compile_str("t.yao", src) {
        Ok(_) => panic!(),
        Err(d) => println!("{}", d),
    }
}
