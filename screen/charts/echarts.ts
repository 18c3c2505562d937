/**
 * ECharts with only the parts the widgets use (keeps the initial bundle small). A widget that
 * needs another chart type or component registers it here, next to the others.
 */
import { use, init } from 'echarts/core'
import { BarChart, GaugeChart, LineChart, PieChart, SankeyChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers'

use([LineChart, BarChart, PieChart, GaugeChart, SankeyChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer, SVGRenderer])

export { init }
export type { EChartsType } from 'echarts/core'
