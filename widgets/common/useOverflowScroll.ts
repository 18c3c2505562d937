import { nextTick, onMounted, onScopeDispose, ref, watch } from 'vue'
import type { Ref, WatchSource } from 'vue'

/** What useOverflowScroll gives a list widget. */
export interface UseOverflowScrollReturn {
  /** the box the rows are shown in (bind with `ref="box"`) */
  box: Ref<HTMLElement | undefined>
  /** the list of rows (bind with `ref="list"`) */
  list: Ref<HTMLElement | undefined>
  /** true while the rows do not fit the box: the widget then shows them twice and scrolls (a CSS animation) */
  overflowing: Ref<boolean>
}

/**
 * Whether a list overflows its box, measured when the box is resized and after `rows` change;
 * the observer is disconnected with the widget.
 */
export function useOverflowScroll(rows: WatchSource<unknown>): UseOverflowScrollReturn {
  const box = ref<HTMLElement>()
  const list = ref<HTMLElement>()
  const overflowing = ref(false)
  const measure = () => {
    overflowing.value = !!box.value && !!list.value && list.value.scrollHeight > box.value.clientHeight + 1
  }
  let observer: ResizeObserver | undefined
  onMounted(() => {
    observer = new ResizeObserver(measure)
    if (box.value) observer.observe(box.value)
    measure()
  })
  watch(rows, () => nextTick(measure))
  onScopeDispose(() => observer?.disconnect())
  return { box, list, overflowing }
}
