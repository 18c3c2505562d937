/**
 * ECharts with only the parts the widgets use (keeps the initial bundle small). A widget that
 * needs another chart type or component registers it here, next to the others.
 */
import { init, setPlatformAPI, use } from 'echarts/core'
import { BarChart, GaugeChart, LineChart, PieChart, SankeyChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers'
import { createTextMeasure } from './measure.ts'

use([LineChart, BarChart, PieChart, GaugeChart, SankeyChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer, SVGRenderer])

// Label layout measures text on a detached canvas, whose text-shaping cache Chromium never ages
// out: every new figure a label shows ("¥12.35万") stayed cached, ~0.7 MB a minute on a busy wall
// (docs/wall.md#soak). Widths are summed from characters measured once instead.
const measure = createTextMeasure(() => document.createElement('canvas').getContext('2d'))
setPlatformAPI({ measureText: (text: string, font?: string) => ({ width: measure(text, font) }) })

export { init }
export type { EChartsType } from 'echarts/core'
