/*
 * One row of a 4x4-limb product with mulx/adcx/adox (internal, x86-64 inline
 * assembly text). Adds b[off/8] * a[0..3] into the accumulator registers
 * x0..x4 using two independent carry chains, and leaves the top carry in x5
 * (which it zeroes first). Operands named in the asm: %[a], %[b] (pointers),
 * %[lo], %[hi] (scratch); rdx is clobbered. Shared by the generic 4-limb
 * Montgomery product (mont.c) and the P-256 field product (p256.c), which
 * differ only in their reduction step.
 */
#ifndef MCGK_CRYPTO_MULX4_H
#define MCGK_CRYPTO_MULX4_H

#define MCGK_MULX4_ROW(off, x0, x1, x2, x3, x4, x5) \
    "xorl %k[" #x5 "], %k[" #x5 "]\n\t" \
    "movq " #off "(%[b]), %%rdx\n\t" \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t" \
    "adcxq %[lo], %[" #x0 "]\n\t" \
    "adoxq %[hi], %[" #x1 "]\n\t" \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t" \
    "adcxq %[lo], %[" #x1 "]\n\t" \
    "adoxq %[hi], %[" #x2 "]\n\t" \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t" \
    "adcxq %[lo], %[" #x2 "]\n\t" \
    "adoxq %[hi], %[" #x3 "]\n\t" \
    "mulxq 24(%[a]), %[lo], %[hi]\n\t" \
    "adcxq %[lo], %[" #x3 "]\n\t" \
    "adoxq %[hi], %[" #x4 "]\n\t" \
    "adcxq %[" #x5 "], %[" #x4 "]\n\t" \
    "adoxq %[" #x5 "], %[" #x5 "]\n\t" \
    "adcq $0, %[" #x5 "]\n\t"

#endif
