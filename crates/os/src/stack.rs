//! The initial user stack, laid out as Linux's `execve` does, so that real C start-up code
//! (picolibc's, glibc's) finds `argc`, `argv`, `envp` and the auxiliary vector.
//!
//! From the stack pointer upwards: `argc`; `argv[0..argc]`; a null pointer; `envp[..]`; a
//! null pointer; auxiliary-vector pairs ending with `AT_NULL`; then, above, the 16 random
//! bytes `AT_RANDOM` points at and the argument and environment strings. Every slot is XLEN
//! wide; `sp` is 16-byte aligned.

use crate::OsError;
use atlas_isa::Xlen;
use atlas_mmu::PhysMem;

/// Auxiliary vector key: end of the vector (Linux `AT_NULL`).
pub const AT_NULL: u64 = 0;
/// Auxiliary vector key: the page size (Linux `AT_PAGESZ`).
pub const AT_PAGESZ: u64 = 6;
/// Auxiliary vector key: address of 16 random bytes (Linux `AT_RANDOM`).
pub const AT_RANDOM: u64 = 25;

/// The page size the guest is told.
pub const PAGE_SIZE: u64 = 4096;

/// The 16 "random" bytes behind `AT_RANDOM`: fixed, so runs are deterministic.
pub const AT_RANDOM_BYTES: [u8; 16] = *b"Atlas-MMU-random";

/// Writes the initial stack below `top` into physical memory (bare mode: VA = PA) and
/// returns the initial stack pointer.
pub fn build(
    mem: &mut PhysMem,
    xlen: Xlen,
    top: u64,
    args: &[String],
    env: &[String],
) -> Result<u64, OsError> {
    build_with(
        |va, bytes| {
            mem.slice_mut(va, bytes.len() as u64)?
                .copy_from_slice(bytes);
            Some(())
        },
        xlen,
        top,
        args,
        env,
    )
}

/// Builds the initial stack below `top`, storing each piece with `write(va, bytes)` (the
/// address space's `copy_to_user`, which may allocate pages), and returns the initial
/// stack pointer. `write` returning `None` means the stack does not fit.
pub fn build_with(
    mut write: impl FnMut(u64, &[u8]) -> Option<()>,
    xlen: Xlen,
    top: u64,
    args: &[String],
    env: &[String],
) -> Result<u64, OsError> {
    let word = u64::from(xlen.bits() / 8);
    let too_big = || OsError::StackTooSmall;
    let mut cursor = top;
    let mut push_bytes =
        |write: &mut dyn FnMut(u64, &[u8]) -> Option<()>, bytes: &[u8]| -> Result<u64, OsError> {
            cursor = cursor.checked_sub(bytes.len() as u64).ok_or_else(too_big)?;
            write(cursor, bytes).ok_or_else(too_big)?;
            Ok(cursor)
        };
    let random = push_bytes(&mut write, &AT_RANDOM_BYTES)?;
    let mut string_addrs = |write: &mut dyn FnMut(u64, &[u8]) -> Option<()>,
                            list: &[String]|
     -> Result<Vec<u64>, OsError> {
        let mut addrs = Vec::with_capacity(list.len());
        for s in list.iter().rev() {
            let mut bytes = s.as_bytes().to_vec();
            bytes.push(0);
            addrs.push(push_bytes(write, &bytes)?);
        }
        addrs.reverse();
        Ok(addrs)
    };
    let env_addrs = string_addrs(&mut write, env)?;
    let arg_addrs = string_addrs(&mut write, args)?;

    let mut slots: Vec<u64> = Vec::with_capacity(args.len() + env.len() + 9);
    slots.push(args.len() as u64);
    slots.extend(&arg_addrs);
    slots.push(0);
    slots.extend(&env_addrs);
    slots.push(0);
    slots.extend([AT_PAGESZ, PAGE_SIZE, AT_RANDOM, random, AT_NULL, 0]);

    let strings_bottom = arg_addrs.first().copied().unwrap_or(random).min(random);
    let table = slots.len() as u64 * word;
    let sp = strings_bottom.checked_sub(table).ok_or_else(too_big)? & !15;
    let bytes: Vec<u8> = slots
        .iter()
        .flat_map(|v| v.to_le_bytes().into_iter().take(word as usize))
        .collect();
    write(sp, &bytes).ok_or_else(too_big)?;
    Ok(sp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argc_argv_envp_and_auxv_are_where_linux_puts_them() {
        let mut mem = PhysMem::new(0x10000).expect("64 KiB");
        let args = vec!["prog".to_string(), "hello".to_string()];
        let env = vec!["A=1".to_string()];
        let sp = build(&mut mem, Xlen::X64, 0x10000, &args, &env).expect("fits");
        assert_eq!(sp % 16, 0);
        let rd = |a: u64| mem.read(a, 8).expect("in memory");
        assert_eq!(rd(sp), 2);
        let cstr = |a: u64| {
            let s = mem.slice(a, 16).expect("in memory");
            let n = s.iter().position(|&b| b == 0).expect("terminated");
            String::from_utf8(s[..n].to_vec()).expect("utf8")
        };
        assert_eq!(cstr(rd(sp + 8)), "prog");
        assert_eq!(cstr(rd(sp + 16)), "hello");
        assert_eq!(rd(sp + 24), 0);
        assert_eq!(cstr(rd(sp + 32)), "A=1");
        assert_eq!(rd(sp + 40), 0);
        assert_eq!((rd(sp + 48), rd(sp + 56)), (AT_PAGESZ, 4096));
        assert_eq!(rd(sp + 64), AT_RANDOM);
        assert_eq!(mem.slice(rd(sp + 72), 16), Some(&AT_RANDOM_BYTES[..]));
        assert_eq!((rd(sp + 80), rd(sp + 88)), (AT_NULL, 0));
    }

    #[test]
    fn rv32_slots_are_four_bytes() {
        let mut mem = PhysMem::new(0x1000).expect("4 KiB");
        let sp = build(&mut mem, Xlen::X32, 0x1000, &["p".to_string()], &[]).expect("fits");
        assert_eq!(mem.read(sp, 4), Some(1));
        assert_eq!(mem.read(sp + 8, 4), Some(0));
        assert_eq!(mem.read(sp + 12, 4), Some(0));
        assert_eq!(mem.read(sp + 16, 4), Some(AT_PAGESZ));
    }

    #[test]
    fn a_stack_that_does_not_fit_is_an_error() {
        let mut mem = PhysMem::new(0x40).expect("64 bytes");
        let long = vec!["x".repeat(100)];
        assert_eq!(
            build(&mut mem, Xlen::X64, 0x40, &long, &[]),
            Err(OsError::StackTooSmall)
        );
    }
}
