/**
 * Test page for screen/components/WidgetHost.vue (served by Vite in tests/e2e/wall-host.test.ts):
 * mounts one host with the props given as JSON in the URL hash; `window.hostProps` replaces
 * them live, `window.drills` collects what the host emits.
 */
import { createApp, h, shallowRef } from 'vue'
import { createPinia } from 'pinia'
import type { Pinia } from 'pinia'
import { getInstanceByDom } from 'echarts/core'
import { useSocket } from '../../../screen/socket.ts'
import WidgetHost from '../../../screen/components/WidgetHost.vue'
import type { WidgetDrill } from '../../../widgets/define-widget.ts'

type HostProps = InstanceType<typeof WidgetHost>['$props']

declare global {
  interface Window {
    hostProps: (next: Partial<HostProps>) => void
    drills: WidgetDrill[]
    /** internals a test may drive: the socket, the store state, the chart on an element */
    cockpit: { socket: ReturnType<typeof useSocket>; pinia: Pinia; chartOf: typeof getInstanceByDom }
  }
}

const props = shallowRef(JSON.parse(decodeURIComponent(location.hash.slice(1))) as HostProps)
window.drills = []
window.hostProps = (next) => (props.value = { ...props.value, ...next })

const pinia = createPinia()
createApp({ render: () => h(WidgetHost, { ...props.value, onDrill: (d: WidgetDrill) => window.drills.push(d) }) })
  .use(pinia)
  .mount('#app')
window.cockpit = { socket: useSocket(), pinia, chartOf: getInstanceByDom }
