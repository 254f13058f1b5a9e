/**
 * @file elf.h
 * @brief Loading a static x86-64 ELF executable into a fresh user address space, from a library
 * in the safe subset.
 * @ingroup loader_elf
 */
#ifndef LOADER_ELF_H
#define LOADER_ELF_H

#include <frame/compiler.h>
#include <frame/vm.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @defgroup loader_elf ELF loader
 * @brief From the bytes of an executable to a program ready for user_mode_init(): its segments
 * mapped with their own rights, its stack holding argc, argv, envp and the auxiliary vector.
 *
 * @code
 * struct elf_program prog;
 * const char *const argv[] = {"hello", "world", NULL};
 * struct elf_args args = {.argv = argv};
 * enum elf_error e = elf_load(&prog, bytes, size, &args);
 * if (e != ELF_OK)
 *         console_printf("not loaded: %s\n", elf_error_name(e));
 * else
 *         user_mode_init(&um, prog.space, prog.entry, prog.stack_pointer);
 * @endcode
 *
 * The input is a buffer holding the whole file: an embedded program is a byte array already; a
 * boot module is read into one from the heap with boot_module_read(). The buffer is only read,
 * and may be freed once elf_load() returns.
 *
 * The file is hostile input. Every field is checked before anything is allocated, and every sum
 * of two fields is checked for overflow: a file that is not a static x86-64 executable, or whose
 * headers or segments leave the file, leave user space, overlap (no page is shared by two
 * segments, so no page is both writable and executable), ask for more memory than is free, or
 * disagree with each other, is refused with a named ::elf_error and nothing is left behind:
 * no address space, no frame, no heap block. No input makes it panic or loop for long (the work
 * is bounded by #ELF_MAX_SEGMENTS and by the free memory).
 *
 * What it supports: `ET_EXEC` files (static, not position-independent: no `PT_INTERP`), loaded
 * at the addresses they name. Each `PT_LOAD` segment gets fresh zeroed page frames, its file
 * bytes copied in (the rest, `.bss`, stays zero), mapped with the rights of its flags (`PF_R`,
 * `PF_W`, `PF_X`; a segment both writable and executable is refused). Below the stack top the
 * stack is laid out as the System V x86-64 ABI (section 3.4.1) and musl's start-up expect, from
 * the stack pointer up: `argc`; the `argv` pointers and a NULL; the `envp` pointers and a NULL;
 * the auxiliary vector (`AT_PHDR`, `AT_PHENT`, `AT_PHNUM`, `AT_PAGESZ`, `AT_ENTRY`, `AT_RANDOM`
 * and `AT_NULL`, each a pair of 8-byte words); then the 16 `AT_RANDOM` bytes and the strings.
 * The stack pointer is 16-byte aligned.
 *
 * The loader is client code (sdk/loader/elf.c), built in the same safe subset as a kernel: it
 * uses vm_space_create(), frame_alloc(), frame_write(), vm_space_map() and vm_copy_to_user(),
 * nothing else of the frame.
 * @{
 */

/** @brief The most program headers a file may have (more is #ELF_ERR_TOO_MANY_SEGMENTS). */
#define ELF_MAX_SEGMENTS 64
/** @brief The default top of the stack: the end of user space, less one unmapped page. */
#define ELF_STACK_TOP (VM_USER_END - 0x1000ull)
/** @brief The default stack size, in pages (64 KiB). */
#define ELF_STACK_PAGES 16
/** @brief The most bytes argc, argv, envp, their strings and the auxiliary vector may take. */
#define ELF_MAX_ARGS_SIZE 0x8000u

/** @brief Why elf_load() refused a file; elf_error_name() gives each a phrase. */
enum elf_error {
	ELF_OK = 0,		      /**< Loaded. */
	ELF_ERR_TRUNCATED,	      /**< Shorter than the ELF header. */
	ELF_ERR_NOT_ELF,	      /**< No ELF magic number. */
	ELF_ERR_NOT_64BIT,	      /**< Not ELFCLASS64. */
	ELF_ERR_NOT_LITTLE_ENDIAN,    /**< Not ELFDATA2LSB. */
	ELF_ERR_BAD_VERSION,	      /**< Not ELF version 1. */
	ELF_ERR_NOT_EXECUTABLE,	      /**< Not ET_EXEC (a relocatable, shared or PIE file). */
	ELF_ERR_NOT_X86_64,	      /**< Not EM_X86_64. */
	ELF_ERR_BAD_PHENTSIZE,	      /**< The program header size is not 56. */
	ELF_ERR_NO_SEGMENTS,	      /**< No PT_LOAD segment. */
	ELF_ERR_TOO_MANY_SEGMENTS,    /**< More than #ELF_MAX_SEGMENTS program headers. */
	ELF_ERR_PHDRS_OUTSIDE_FILE,   /**< The program headers leave the file. */
	ELF_ERR_INTERP,		      /**< A PT_INTERP: dynamically linked. */
	ELF_ERR_FILESZ_GT_MEMSZ,      /**< A segment's p_filesz exceeds its p_memsz. */
	ELF_ERR_SEGMENT_PAST_FILE,    /**< A segment's file bytes leave the file. */
	ELF_ERR_SEGMENT_OUTSIDE_USER, /**< A segment is not inside [#VM_USER_MIN, #VM_USER_END). */
	ELF_ERR_MISALIGNED, /**< p_align is not a power of two, or p_offset and p_vaddr differ modulo the page size. */
	ELF_ERR_WRITE_EXEC, /**< A segment both writable and executable. */
	ELF_ERR_NO_RIGHTS,  /**< A segment with none of PF_R, PF_W, PF_X. */
	ELF_ERR_SEGMENTS_OVERLAP, /**< Two segments share a page. */
	ELF_ERR_ENTRY_NOT_EXEC,	  /**< The entry point is not inside an executable segment. */
	ELF_ERR_STACK_OVERLAP,	  /**< The stack would overlap a segment, or leave user space. */
	ELF_ERR_ARGS_TOO_BIG,	  /**< argv and envp do not fit in #ELF_MAX_ARGS_SIZE or the stack. */
	ELF_ERR_NOMEM,		  /**< Not enough free memory for the segments, the stack or their tables. */
};

/** @brief What the program gets on its stack, and where the stack goes. Zero fields take the defaults. */
struct elf_args {
	const char *const *argv; /**< The arguments, ending with NULL; NULL for none (argc 0). */
	const char *const *envp; /**< The environment, ending with NULL; NULL for none. */
	const uint8_t *random;	 /**< 16 bytes for AT_RANDOM; NULL: derived from the clock (not secret). */
	uint64_t stack_top;	 /**< One past the stack's highest byte, page-aligned; 0: #ELF_STACK_TOP. */
	size_t stack_pages;	 /**< The stack's size in pages; 0: #ELF_STACK_PAGES. */
};

/** @brief A loaded program: pass space, entry and stack_pointer to user_mode_init(). */
struct elf_program {
	struct vm_space *space; /**< Its new address space; vm_space_destroy() frees it all. */
	uint64_t entry;		/**< The first instruction (e_entry). */
	uint64_t stack_pointer; /**< The initial stack pointer, at argc. */
	uint64_t phdr;		/**< AT_PHDR: the program headers' user address. */
	uint64_t brk;		/**< One past the page-rounded end of the highest segment: where a heap may start. */
};

/**
 * @brief Load an ELF executable into a new address space and build its initial stack.
 * @param out receives the program; untouched unless the result is #ELF_OK.
 * @param bytes the whole file; hostile: any content is checked.
 * @param size its length in bytes.
 * @param args argv, envp, AT_RANDOM and the stack's place; NULL for all defaults.
 * @retval ELF_OK @p out holds the program.
 * @retval ELF_ERR_NOMEM not enough memory (nothing is left allocated).
 * @retval others the file is refused, as the ::elf_error says (nothing was allocated).
 * @par Panics
 * If @p out is NULL, @p bytes is NULL with a non-zero @p size, @p args has a stack_top that is
 * not page-aligned; in interrupt context (vm_space_create() panics there).
 * @par Context
 * Tasks only (not from interrupt context). Does not sleep.
 */
FRAME_MUST_CHECK enum elf_error elf_load(struct elf_program *out, const void *bytes, size_t size,
					 const struct elf_args *args);

/**
 * @brief The name of a loader error, e.g. "segment outside user space".
 * @param e any value; unknown ones are named "unknown ELF error".
 * @return A constant string.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
const char *elf_error_name(enum elf_error e);

/** @} */
#endif
