/* EPT builder: 4-level identity map with 2 MiB pages, 4 KiB splits and holes. */
#include "vmx.h"

#define EPT_MT_WB (6u << 3)
#define EPT_LARGE (1u << 7)
#define ADDR_MASK 0x000ffffffffff000ull

void ept_identity(struct ept *e, uint64_t bytes) {
  e->pml4 = alloc_page();
  uint64_t *pdpt = alloc_page();
  e->pml4[0] = (uintptr_t)pdpt | EPT_RWX;
  uint64_t gigs = (bytes + (1ull << 30) - 1) >> 30;
  for (uint64_t g = 0; g < gigs && g < 512; g++) {
    uint64_t *pd = alloc_page();
    pdpt[g] = (uintptr_t)pd | EPT_RWX;
    for (uint64_t i = 0; i < 512; i++)
      pd[i] = ((g << 30) + (i << 21)) | EPT_LARGE | EPT_MT_WB | EPT_RWX;
  }
  /* write-back paging-structure memory type, 4-level walk (length - 1 = 3) */
  e->eptp = (uintptr_t)e->pml4 | (3u << 3) | 6u;
}

static uint64_t *pd_entry(struct ept *e, uint64_t gpa) {
  uint64_t pml4e = e->pml4[(gpa >> 39) & 511];
  if (!(pml4e & EPT_RWX)) return 0;
  uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4e & ADDR_MASK);
  uint64_t pdpte = pdpt[(gpa >> 30) & 511];
  if (!(pdpte & EPT_RWX)) return 0;
  uint64_t *pd = (uint64_t *)(uintptr_t)(pdpte & ADDR_MASK);
  return &pd[(gpa >> 21) & 511];
}

/* Replace a 2 MiB mapping by a page table of 512 equivalent 4 KiB entries. */
static uint64_t *split(uint64_t *pde) {
  if (!(*pde & EPT_LARGE)) return (uint64_t *)(uintptr_t)(*pde & ADDR_MASK);
  uint64_t *pt = alloc_page();
  uint64_t base = *pde & ~0x1fffffull & ADDR_MASK;
  uint64_t attrs = *pde & (EPT_MT_WB | EPT_RWX);
  for (int i = 0; i < 512; i++) pt[i] = (base + ((uint64_t)i << 12)) | attrs;
  *pde = (uintptr_t)pt | EPT_RWX;
  return pt;
}

uint64_t *ept_leaf(struct ept *e, uint64_t gpa) {
  uint64_t *pde = pd_entry(e, gpa);
  if (!pde) return 0;
  if (*pde & EPT_LARGE) return pde;
  if (!(*pde & EPT_RWX)) return 0;
  uint64_t *pt = (uint64_t *)(uintptr_t)(*pde & ADDR_MASK);
  return &pt[(gpa >> 12) & 511];
}

void ept_map_4k(struct ept *e, uint64_t gpa, uint64_t hpa, unsigned perms) {
  uint64_t *pde = pd_entry(e, gpa);
  if (!pde) return;
  uint64_t *pt = split(pde);
  pt[(gpa >> 12) & 511] = (hpa & ADDR_MASK) | EPT_MT_WB | (perms & EPT_RWX);
}

void ept_unmap_4k(struct ept *e, uint64_t gpa) {
  uint64_t *pde = pd_entry(e, gpa);
  if (!pde) return;
  uint64_t *pt = split(pde);
  pt[(gpa >> 12) & 511] = 0;
}
