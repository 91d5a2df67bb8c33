//! The kernel's arithmetic for the argument space of `execve(2)`, from `bprm_stack_limits()`
//! and `copy_string_kernel()` in `fs/exec.c` (Linux 6.x):
//!
//! ```text
//! limit  = min(_STK_LIM / 4 * 3, rlim_stack.rlim_cur / 4)    // 6 MiB, or a quarter of the stack
//! limit  = max(limit, ARG_MAX)                               // at least 128 KiB (uapi ARG_MAX)
//! limit -= (max(argc, 1) + envc) * sizeof(void *)            // the pointer arrays
//! ```
//!
//! then the filename, every environment string and every argument, each with its NUL, are
//! copied below the top of the new stack, and `E2BIG` is returned as soon as they pass
//! `limit`. So the largest total of argument and environment bytes (with NULs) that `execve`
//! accepts is the limit minus the pointers minus the filename and its NUL: [`arg_max_formula`].
//!
//! Measuring shows a second bound the formula does not mention: the strings are copied into
//! the new program's temporary stack, whose growth `acct_stack_growth()` refuses past
//! `RLIMIT_STACK` (in whole pages), and the copy fails with `E2BIG` too. Below about 128 KiB
//! of stack that bound comes first, so the 128 KiB floor is not honoured there:
//! [`stack_growth_bound`]. Pure functions; the measurement is elsewhere.

use super::StackLimit;

/// `_STK_LIM`: the default stack limit the kernel's arithmetic is based on (8 MiB).
pub const STK_LIM: u64 = 8 << 20;

/// The size of a pointer in the new program's `argv`/`envp` arrays.
pub const POINTER: u64 = size_of::<usize>() as u64;

/// `ARG_MAX` of `include/uapi/linux/limits.h`, the floor of the argument space: 131072 bytes
/// whatever the page size ("32 pages" only where pages are 4 KiB; `MAX_ARG_STRLEN` is the
/// limit that really is 32 pages).
pub const ARG_MAX: u64 = 131_072;

/// `MAX_ARG_STRLEN` minus the NUL: the longest single string, 32 pages less one byte.
pub fn max_arg_strlen(page_size: u64) -> u64 {
    32 * page_size - 1
}

/// The argument space for a stack limit, before the pointer arrays are subtracted.
pub fn arg_limit(stack: StackLimit) -> u64 {
    let quarter = stack.as_option().map_or(u64::MAX / 4, |s| s / 4);
    quarter.clamp(ARG_MAX, STK_LIM / 4 * 3)
}

/// The largest total of argument and environment string bytes (each with its NUL) that
/// `execve` accepts with `argc` arguments and `envc` environment strings, when the
/// filename passed to `execve` is `filename_len` bytes long.
pub fn arg_max_formula(stack: StackLimit, argc: u64, envc: u64, filename_len: u64) -> u64 {
    let pointers = (argc.max(1) + envc) * POINTER;
    arg_limit(stack).saturating_sub(pointers + filename_len + 1)
}

/// The other bound: the strings, the filename and an 8-byte terminator must fit in a stack of
/// at most `RLIMIT_STACK` rounded down to whole pages. `None` for an unlimited stack.
pub fn stack_growth_bound(stack: StackLimit, page_size: u64, filename_len: u64) -> Option<u64> {
    let stack = stack.as_option()?;
    Some((stack / page_size * page_size).saturating_sub(POINTER + filename_len + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use StackLimit::{Bytes, Unlimited};

    const PAGE: u64 = 4096;

    #[test]
    fn a_quarter_of_the_stack_between_128_kib_and_6_mib() {
        assert_eq!(arg_limit(Bytes(8 << 20)), 2 << 20);
        assert_eq!(arg_limit(Bytes(16 << 20)), 4 << 20);
        assert_eq!(arg_limit(Bytes(64 << 20)), 6 << 20);
        assert_eq!(arg_limit(Unlimited), 6 << 20);
        assert_eq!(arg_limit(Bytes(256 << 10)), 128 << 10);
        assert_eq!(arg_limit(Bytes(0)), 128 << 10);
    }

    #[test]
    fn minus_the_pointers_and_the_filename() {
        // /bin/true (9 bytes + NUL) with itself as argv[0] and 3 more arguments, no environment.
        let f = arg_max_formula(Bytes(8 << 20), 4, 0, 9);
        assert_eq!(f, (2 << 20) - 4 * 8 - 10);
        // argc 0 still costs one pointer: the kernel adds an empty argv[0].
        assert_eq!(
            arg_max_formula(Bytes(8 << 20), 0, 2, 9),
            (2 << 20) - 3 * 8 - 10
        );
    }

    #[test]
    fn small_stacks_are_bound_by_their_own_size() {
        // Measured on Linux 6.18: RLIMIT_STACK 100000 accepts 98286 bytes with /bin/true.
        assert_eq!(
            stack_growth_bound(Bytes(100_000), PAGE, 9),
            Some(24 * 4096 - 8 - 10)
        );
        assert_eq!(stack_growth_bound(Bytes(100_000), PAGE, 9), Some(98_286));
        assert_eq!(stack_growth_bound(Unlimited, PAGE, 9), None);
        // From 128 KiB up the formula is the smaller bound.
        let f = arg_max_formula(Bytes(128 << 10), 5, 0, 9);
        assert!(stack_growth_bound(Bytes(128 << 10), PAGE, 9).unwrap() > f);
    }

    #[test]
    fn max_arg_strlen_is_32_pages_less_the_nul() {
        assert_eq!(max_arg_strlen(PAGE), 131_071);
    }
}
