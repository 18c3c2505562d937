/** Element observers for the responsive views, each disconnected with the scope that made it. */
import { onMounted, onScopeDispose, ref, shallowRef } from 'vue'
import type { Ref, ShallowRef } from 'vue'

export interface UseElementSizeReturn {
  width: Ref<number>
  height: Ref<number>
}

/** Content-box size of an element, updated at most once per frame. */
export function useElementSize(el: Ref<HTMLElement | undefined>): UseElementSizeReturn {
  const width = ref(0)
  const height = ref(0)
  let frame = 0
  const observer = new ResizeObserver((entries) => {
    const entry = entries[entries.length - 1]
    if (!entry || frame) return
    frame = requestAnimationFrame(() => {
      frame = 0
      const box = entry.contentRect
      width.value = Math.floor(box.width)
      height.value = Math.floor(box.height)
    })
  })
  onMounted(() => {
    if (!el.value) return
    const box = el.value.getBoundingClientRect()
    width.value = Math.floor(box.width)
    height.value = Math.floor(box.height)
    observer.observe(el.value)
  })
  onScopeDispose(() => {
    observer.disconnect()
    if (frame) cancelAnimationFrame(frame)
  })
  return { width, height }
}

export interface UseNearViewportOptions {
  /** the scrolling ancestor the elements move in (null: the viewport) */
  root: () => Element | null
  /** how far outside the root an element still counts as near @default "400px 0px" */
  rootMargin?: string
}

/**
 * Ids of the observed elements that are on screen or close to it. The tablet mounts only those
 * widgets (their subscriptions and charts), so a long screen costs what is visible, not all of it.
 */
export function useNearViewport(options: UseNearViewportOptions): { near: ShallowRef<ReadonlySet<string>>; observe: (id: string, el: Element | null) => void } {
  const near = shallowRef<ReadonlySet<string>>(new Set())
  const elements = new Map<string, Element>()
  let observer: IntersectionObserver | undefined
  const onEntries = (entries: IntersectionObserverEntry[]) => {
    const next = new Set(near.value)
    for (const e of entries) {
      const id = (e.target as HTMLElement).dataset.cell
      if (!id) continue
      if (e.isIntersecting) next.add(id)
      else next.delete(id)
    }
    near.value = next
  }
  onMounted(() => {
    observer = new IntersectionObserver(onEntries, { root: options.root(), rootMargin: options.rootMargin ?? '400px 0px' })
    for (const el of elements.values()) observer.observe(el)
  })
  function observe(id: string, el: Element | null): void {
    const old = elements.get(id)
    if (old === el) return
    if (old) observer?.unobserve(old)
    if (el) {
      elements.set(id, el)
      observer?.observe(el)
    } else {
      elements.delete(id)
      if (near.value.has(id)) {
        const next = new Set(near.value)
        next.delete(id)
        near.value = next
      }
    }
  }
  onScopeDispose(() => observer?.disconnect())
  return { near, observe }
}
