/**
 * Every phrase of the screen app in both languages (docs/architecture.md "Words"): one key per
 * phrase, each key with its zh-CN and English text side by side, so a key missing a language does
 * not compile. `{name}` placeholders are filled by `message(locale, key, params)`. It lives in
 * widgets/common so the widgets and the screen read the same words (widgets may not import screen/).
 * Widget manifests keep their own `title` and `labels`: those are the widget's self-description.
 */
import type { Locale } from '../define-widget.ts'

/** A phrase in both languages. */
export type Phrase = Readonly<Record<Locale, string>>

export const MESSAGES = {
  // -- chrome of every view (title bar, badge, freshness, wall controls) -------------------------
  live: { 'zh-CN': '实时 LIVE', en: 'LIVE' },
  staleSince: { 'zh-CN': '数据停更于 {time}', en: 'Data stale since {time}' },
  updated: { 'zh-CN': '更新 {time}', en: 'Updated {time}' },
  loading: { 'zh-CN': '加载中…', en: 'Loading…' },
  staleHint: { 'zh-CN': '数据可能已过期', en: 'Data may be out of date' },
  liveHint: { 'zh-CN': '数据实时', en: 'Live data' },
  unknownWidget: { 'zh-CN': '未知组件类型 {widget}', en: 'Unknown widget type {widget}' },
  screenNotFound: { 'zh-CN': '找不到大屏 “{id}”', en: 'No screen “{id}”' },
  screenLoadFailed: { 'zh-CN': '大屏 “{id}” 加载失败：{reason}', en: 'Screen “{id}” failed to load: {reason}' },
  language: { 'zh-CN': '语言', en: 'Language' },
  previous: { 'zh-CN': '上一屏', en: 'Previous screen' },
  next: { 'zh-CN': '下一屏', en: 'Next screen' },
  fullscreen: { 'zh-CN': '全屏', en: 'Full screen' },

  // -- the layout editor ---------------------------------------------------------------------------
  'editor.fromTemplate': { 'zh-CN': '“{id}” 尚未保存过：从同名模板开始。', en: '“{id}” has not been saved yet: starting from its template.' },
  'editor.newScreen': { 'zh-CN': '新大屏 “{id}”：从调色板添加组件，或从模板开始。', en: 'New screen “{id}”: add widgets from the palette or start from a template.' },
  'editor.readNeedsAuth': { 'zh-CN': '读取大屏需要授权（{code}）。', en: 'Reading screens needs authorisation ({code}).' },
  'editor.screenFull': { 'zh-CN': '屏幕已满：先缩小或删除一些组件。', en: 'The screen is full: shrink or remove a widget first.' },
  'editor.templateApplied': { 'zh-CN': '已套用模板 “{title}”，尚未保存。', en: 'Template “{title}” applied; not saved yet.' },
  'editor.imported': { 'zh-CN': '已导入 {file}，尚未保存。', en: 'Imported {file}; not saved yet.' },
  'editor.fixBeforeSave': { 'zh-CN': '还有 {count} 处问题，修正后才能保存。', en: '{count} problem(s) to fix before saving.' },
  'editor.saved': { 'zh-CN': '已保存，版本 {version}。', en: 'Saved as version {version}.' },
  'editor.sessionLost': { 'zh-CN': '登录已失效，请重新输入管理密钥（{code}）。', en: 'The sign-in is no longer valid: enter the admin key again ({code}).' },
  'editor.serverRefused': { 'zh-CN': '服务器拒绝保存', en: 'The server refused the screen' },
  'editor.saveFailed': { 'zh-CN': '保存失败', en: 'Save failed' },
  'editor.tooManyAttempts': { 'zh-CN': '尝试次数过多，请 {seconds} 秒后再试。', en: 'Too many attempts: try again in {seconds} s.' },
  'editor.wrongKey': { 'zh-CN': '管理密钥不正确。', en: 'That is not the admin key.' },
  'editor.signInFailed': { 'zh-CN': '登录失败', en: 'Sign-in failed' },
  'editor.signedOut': { 'zh-CN': '已退出登录。', en: 'Signed out.' },
  'editor.loadedVersion': { 'zh-CN': '已加载版本 {version}。', en: 'Loaded version {version}.' },
  'editor.backToWall': { 'zh-CN': '返回大屏', en: 'Back to the wall' },
  'editor.version': { 'zh-CN': '版本', en: 'version' },
  'editor.notSaved': { 'zh-CN': '未保存', en: 'not saved yet' },
  'editor.unsavedChanges': { 'zh-CN': '有未保存的修改', en: 'unsaved changes' },
  'editor.startFromTemplate': { 'zh-CN': '从模板开始', en: 'Start from a template' },
  'editor.pickTemplate': { 'zh-CN': '从模板开始…', en: 'Start from a template…' },
  'editor.importJson': { 'zh-CN': '导入 JSON', en: 'Import JSON' },
  'editor.exportJson': { 'zh-CN': '导出 JSON', en: 'Export JSON' },
  'editor.openOnWall': { 'zh-CN': '在大屏打开', en: 'Open on the wall' },
  'editor.signOut': { 'zh-CN': '退出登录', en: 'Sign out' },
  'editor.saving': { 'zh-CN': '保存中…', en: 'Saving…' },
  'editor.save': { 'zh-CN': '保存', en: 'Save' },
  'editor.dismiss': { 'zh-CN': '关闭', en: 'Dismiss' },
  'editor.savedElsewhere': { 'zh-CN': '此大屏已在别处保存为版本 {version}。', en: 'This screen was saved elsewhere as version {version}.' },
  'editor.reload': { 'zh-CN': '重新加载', en: 'Reload' },
  'editor.widgets': { 'zh-CN': '组件', en: 'Widgets' },
  'editor.tip': {
    'zh-CN': '拖动组件移动位置，拖右下角调整大小；Delete 删除所选组件，Ctrl+S 保存。',
    en: 'Drag a widget to move it, its corner to resize; Delete removes the selection, Ctrl+S saves.',
  },
  'editor.removeWidget': { 'zh-CN': '删除此组件', en: 'Remove this widget' },
  'editor.screenSettings': { 'zh-CN': '大屏设置', en: 'Screen settings' },
  'editor.signInTitle': { 'zh-CN': '管理员登录', en: 'Administrator sign-in' },
  'editor.signInWhy': {
    'zh-CN': '保存大屏需要管理密钥（COCKPIT_ADMIN_KEY）。登录后本浏览器只保留一个会话 Cookie，不会保存密钥。',
    en: 'Saving screens needs the admin key (COCKPIT_ADMIN_KEY). Signing in keeps only a session cookie in this browser, never the key.',
  },
  'editor.adminKey': { 'zh-CN': '管理密钥', en: 'Admin key' },
  'editor.cancel': { 'zh-CN': '取消', en: 'Cancel' },
  'editor.signIn': { 'zh-CN': '登录', en: 'Sign in' },
  'editor.conflictTitle': { 'zh-CN': '保存冲突', en: 'Save conflict' },
  'editor.conflict': {
    'zh-CN': '在你编辑期间，其他人已保存了此大屏的版本 {theirs}（{savedAt}），而你的修改基于版本 {mine}。',
    en: 'Someone else saved version {theirs} of this screen ({savedAt}) while you were editing version {mine}.',
  },
  'editor.loadTheirs': { 'zh-CN': '加载版本 {version}（放弃我的修改）', en: 'Load version {version} (discard mine)' },
  'editor.overwrite': { 'zh-CN': '用我的版本覆盖', en: 'Overwrite with mine' },
  'editor.cannotImport': { 'zh-CN': '无法导入', en: 'Cannot import' },
  'editor.ok': { 'zh-CN': '知道了', en: 'OK' },
  'editor.fixOptions': { 'zh-CN': '选项有误，修正后显示实时数据', en: 'Fix the options to see live data' },
  'editor.remove': { 'zh-CN': '删除', en: 'Remove' },
  'editor.importData': { 'zh-CN': '导入数据', en: 'Import data' },
  'import.title': { 'zh-CN': '导入业务数据（Excel / CSV / NDJSON）', en: 'Import movements (Excel / CSV / NDJSON)' },
  'import.why': {
    'zh-CN': '选择 ERP 导出的 .xlsx、.csv 或 .ndjson 文件：先预览识别的列、前 20 行和被拒绝的行，确认后再导入。',
    en: 'Pick an .xlsx, .csv or .ndjson export of the ERP: preview the columns found, the first 20 rows and the rejected rows, then import.',
  },
  'import.file': { 'zh-CN': '文件', en: 'File' },
  'import.reading': { 'zh-CN': '读取中…', en: 'Reading…' },
  'import.columns': { 'zh-CN': '列的识别', en: 'Columns' },
  'import.ignored': { 'zh-CN': '（忽略）', en: '(ignored)' },
  'import.counts': { 'zh-CN': '共 {total} 行：有效 {valid} 行，拒绝 {rejected} 行', en: '{total} rows: {valid} valid, {rejected} rejected' },
  'import.firstRows': { 'zh-CN': '前 {count} 行（转换后的业务记录）', en: 'First {count} rows as movements' },
  'import.rejectedRows': { 'zh-CN': '被拒绝的行', en: 'Rejected rows' },
  'import.row': { 'zh-CN': '行', en: 'Row' },
  'import.reasons': { 'zh-CN': '原因', en: 'Reasons' },
  'import.fixFirst': {
    'zh-CN': '有被拒绝的行：修正文件后再导入（整文件导入，不会部分写入）。',
    en: 'Some rows are rejected: fix the file, then import (the file is applied whole or not at all).',
  },
  'import.apply': { 'zh-CN': '导入 {count} 行', en: 'Import {count} rows' },
  'import.applying': { 'zh-CN': '导入中…', en: 'Importing…' },
  'import.done': {
    'zh-CN': '已导入：新增 {accepted}，重复 {duplicates}（已导入过，未重复计算）。',
    en: 'Imported: {accepted} new, {duplicates} duplicates (already applied, not counted again).',
  },
  'import.failed': { 'zh-CN': '失败', en: 'Failed' },
  'import.close': { 'zh-CN': '关闭', en: 'Close' },

  // -- the options form and the screen settings --------------------------------------------------
  'form.default': { 'zh-CN': '（默认）', en: '(default)' },
  'form.removeCode': { 'zh-CN': '移除 {code}', en: 'Remove {code}' },
  'form.typeCode': { 'zh-CN': '输入代码，回车添加', en: 'Type a code, Enter to add' },
  'settings.id': { 'zh-CN': '大屏 ID', en: 'Screen id' },
  'settings.idRule': { 'zh-CN': '小写字母、数字、- 或 _，以字母或数字开头', en: 'lower-case letters, digits, - or _, starting with a letter or digit' },
  'settings.title': { 'zh-CN': '标题', en: 'Title' },
  'settings.design': { 'zh-CN': '设计尺寸', en: 'Design size' },
  'settings.customSize': { 'zh-CN': '自定义…', en: 'Custom…' },
  'settings.width': { 'zh-CN': '宽 (px)', en: 'Width (px)' },
  'settings.height': { 'zh-CN': '高 (px)', en: 'Height (px)' },
  'settings.theme': { 'zh-CN': '主题', en: 'Theme' },
  'settings.fit': { 'zh-CN': '适配方式', en: 'Fit mode' },
  'settings.dwell': { 'zh-CN': '轮播停留（秒）', en: 'Carousel dwell (s)' },
  'settings.columns': { 'zh-CN': '网格列数', en: 'Grid columns' },
  'settings.rows': { 'zh-CN': '网格行数', en: 'Grid rows' },
  'fit.fit': { 'zh-CN': '等比适配（留边）', en: 'Fit (letterbox)' },
  'fit.fill': { 'zh-CN': '拉伸铺满', en: 'Fill (stretch)' },
  'fit.fitWidth': { 'zh-CN': '适配宽度（纵向滚动）', en: 'Fit width (scroll)' },
  'theme.dark': { 'zh-CN': '深色', en: 'Dark' },
  'theme.light': { 'zh-CN': '浅色', en: 'Light' },
  'interval.minute': { 'zh-CN': '分钟', en: 'Minute' },
  'interval.hour': { 'zh-CN': '小时', en: 'Hour' },
  'interval.day': { 'zh-CN': '天', en: 'Day' },
  'interval.month': { 'zh-CN': '月', en: 'Month' },

  // -- checks of options and screen files ----------------------------------------------------------
  'check.required': { 'zh-CN': '必填', en: 'required' },
  'check.minimum': { 'zh-CN': '不能小于 {limit}', en: 'must be ≥ {limit}' },
  'check.maximum': { 'zh-CN': '不能大于 {limit}', en: 'must be ≤ {limit}' },
  'check.exclusiveMinimum': { 'zh-CN': '必须大于 {limit}', en: 'must be > {limit}' },
  'check.exclusiveMaximum': { 'zh-CN': '必须小于 {limit}', en: 'must be < {limit}' },
  'check.minLength': { 'zh-CN': '至少 {limit} 个字符', en: 'at least {limit} characters' },
  'check.maxLength': { 'zh-CN': '最多 {limit} 个字符', en: 'at most {limit} characters' },
  'check.minItems': { 'zh-CN': '至少选择 {limit} 项', en: 'choose at least {limit}' },
  'check.maxItems': { 'zh-CN': '最多选择 {limit} 项', en: 'choose at most {limit}' },
  'check.pattern': { 'zh-CN': '格式不正确', en: 'not in the expected format' },
  'check.enum': { 'zh-CN': '不是可选的值', en: 'not one of the allowed values' },
  'check.type': { 'zh-CN': '类型应为 {type}', en: 'must be a {type}' },
  'check.unknownOption': { 'zh-CN': '未知的选项', en: 'unknown option' },
  'check.unknownWidget': { 'zh-CN': '未知的组件类型 {widget}', en: 'unknown widget type {widget}' },
  'check.outsideGrid': { 'zh-CN': '超出了屏幕网格', en: 'lies outside the screen grid' },
  'check.duplicateId': { 'zh-CN': '组件 id {id} 重复', en: 'duplicate widget id {id}' },
  'check.notJson': { 'zh-CN': '不是有效的 JSON', en: 'not valid JSON' },

  // -- the tablet ----------------------------------------------------------------------------------
  'tablet.back': { 'zh-CN': '返回', en: 'Back' },
  'tablet.cockpit': { 'zh-CN': '驾驶舱', en: 'Cockpit' },
  'tablet.live': { 'zh-CN': '实时', en: 'Live' },
  'tablet.staleSince': { 'zh-CN': '停更于 {time}', en: 'Stale since {time}' },
  'tablet.loadFailed': { 'zh-CN': '无法加载大屏', en: 'Cannot load the screen' },
  'period.label': { 'zh-CN': '时间范围', en: 'Period' },
  'period.today': { 'zh-CN': '今日', en: 'Today' },
  'period.P7D': { 'zh-CN': '近 7 天', en: '7 days' },
  'period.P30D': { 'zh-CN': '近 30 天', en: '30 days' },
  'period.thisMonth': { 'zh-CN': '本月', en: 'This month' },
  'period.custom': { 'zh-CN': '自定义', en: 'Custom' },
  'period.from': { 'zh-CN': '从', en: 'From' },
  'period.to': { 'zh-CN': '至', en: 'To' },
  'period.apply': { 'zh-CN': '应用', en: 'Apply' },
  'period.invalid': { 'zh-CN': '开始日期须不晚于结束日期', en: 'The start must not be after the end' },
  'drill.revenue': { 'zh-CN': '销售收入', en: 'Revenue' },
  'drill.grossProfit': { 'zh-CN': '毛利', en: 'Gross profit' },
  'drill.qty': { 'zh-CN': '销售数量', en: 'Units sold' },
  'drill.stockAlerts': { 'zh-CN': '{name} 库存预警', en: 'Stock alerts · {name}' },
  'drill.reorder': { 'zh-CN': '{name} 补货提醒', en: 'Reorder list · {name}' },
  'drill.skusByRevenue': { 'zh-CN': '{name} 商品销售额排行', en: 'SKUs of {name} by revenue' },

  // -- an embedded widget --------------------------------------------------------------------------
  'embed.missing': { 'zh-CN': '缺少访问令牌', en: 'No access token' },
  'embed.missingDetail': {
    'zh-CN': '嵌入地址需要 ?token=… 参数（由管理员通过 POST /api/v1/tokens 生成）。',
    en: 'The embed address needs ?token=… (an administrator mints one with POST /api/v1/tokens).',
  },
  'embed.malformed': { 'zh-CN': '访问令牌格式错误', en: 'Malformed access token' },
  'embed.malformedDetail': { 'zh-CN': '令牌不是有效的 JWT，请检查嵌入地址是否被截断。', en: 'The token is not a valid JWT; check that the embed address was not cut short.' },
  'embed.notEmbed': { 'zh-CN': '不是嵌入令牌', en: 'Not an embed token' },
  'embed.notEmbedDetail': { 'zh-CN': '该令牌没有指定要显示的组件。', en: 'This token names no widget to show.' },
  'embed.unknownWidget': { 'zh-CN': '未知的组件', en: 'Unknown widget' },
  'embed.unknownWidgetDetail': { 'zh-CN': '令牌中的组件类型 “{widget}” 不存在。', en: 'The token names a widget type "{widget}" that does not exist.' },
  'embed.forbidden': { 'zh-CN': '超出授权范围', en: 'Outside the token’s scope' },
  'embed.expired': { 'zh-CN': '访问令牌已过期', en: 'The access token has expired' },
  'embed.unauthorized': { 'zh-CN': '访问令牌无效', en: 'The access token is not valid' },
  'embed.refused': { 'zh-CN': '服务器拒绝了请求', en: 'The server refused the request' },
  'embed.network': { 'zh-CN': '无法连接服务器：{reason}', en: 'Cannot reach the server: {reason}' },

  // -- widget chrome (a widget's title and option labels stay in its manifest) ----------------------
  'widget.noData': { 'zh-CN': '暂无数据', en: 'No data yet' },
  'widget.other': { 'zh-CN': '其他', en: 'Other' },
  'widget.total': { 'zh-CN': '合计', en: 'Total' },
  'widget.vsPrevious': { 'zh-CN': '较上期', en: 'vs previous period' },
  'widget.vsYesterday': { 'zh-CN': '较昨日同期', en: 'vs same time yesterday' },
  'widget.unspecified': { 'zh-CN': '未指定', en: 'Unspecified' },
  // cash-flow
  'cashFlow.in': { 'zh-CN': '收款', en: 'In' },
  'cashFlow.out': { 'zh-CN': '付款', en: 'Out' },
  'cashFlow.net': { 'zh-CN': '净额', en: 'Net' },
  // credit-ageing
  'ageing.notDue': { 'zh-CN': '未到期', en: 'Not due' },
  'ageing.0-30': { 'zh-CN': '0–30天', en: '0–30 d' },
  'ageing.31-60': { 'zh-CN': '31–60天', en: '31–60 d' },
  'ageing.61-90': { 'zh-CN': '61–90天', en: '61–90 d' },
  'ageing.91-180': { 'zh-CN': '91–180天', en: '91–180 d' },
  'ageing.181+': { 'zh-CN': '180天以上', en: '> 180 d' },
  'ageing.receivables': { 'zh-CN': '应收余额', en: 'Receivables' },
  'ageing.payables': { 'zh-CN': '应付余额', en: 'Payables' },
  'ageing.overdue': { 'zh-CN': '逾期', en: 'Overdue' },
  'ageing.credit': { 'zh-CN': '预收/预付', en: 'Advances' },
  // option values the editor offers (widget manifests' literal unions)
  'value.receivables': { 'zh-CN': '应收（客户）', en: 'Receivables (customers)' },
  'value.payables': { 'zh-CN': '应付（供应商）', en: 'Payables (suppliers)' },
  'value.buckets': { 'zh-CN': '按账龄', en: 'By age' },
  'value.partners': { 'zh-CN': '按往来单位', en: 'By partner' },
  // stock-alerts
  'stockAlerts.summary': { 'zh-CN': '个 SKU × 仓库低于安全库存', en: 'SKU × warehouse pairs below safety stock' },
  'stockAlerts.sku': { 'zh-CN': '商品', en: 'Item' },
  'stockAlerts.stock': { 'zh-CN': '库存 / 安全', en: 'On hand / safety' },
  'stockAlerts.empty': { 'zh-CN': '库存充足，暂无预警', en: 'All stock above safety levels' },
  'stockAlerts.loading': { 'zh-CN': '等待数据…', en: 'Waiting for data…' },
  // reorder-list
  'reorderList.summary': { 'zh-CN': '个 SKU × 仓库需补货', en: 'SKU × warehouse pairs to reorder' },
  'reorderList.sku': { 'zh-CN': '商品', en: 'Item' },
  'reorderList.projected': { 'zh-CN': '预计 / 补货点', en: 'Projected / reorder point' },
  'reorderList.order': { 'zh-CN': '建议补货', en: 'Order' },
  'reorderList.workings': {
    'zh-CN': '在库 {onHand} + 在途 {openPurchase} − 待发 {openSales} = 预计 {projected}',
    en: 'On hand {onHand} + on order {openPurchase} − to ship {openSales} = projected {projected}',
  },
  'reorderList.empty': { 'zh-CN': '预计库存充足，无需补货', en: 'Projected stock above every reorder point' },
  'reorderList.loading': { 'zh-CN': '等待数据…', en: 'Waiting for data…' },
  'stockAgeing.days': { 'zh-CN': '{range} 天', en: '{range} days' },
  'stockAgeing.over': { 'zh-CN': '{days} 天以上', en: 'Over {days} days' },
  'stockAgeing.total': { 'zh-CN': '合计', en: 'Total' },
  'stockAgeing.averageAge': { 'zh-CN': '平均库龄 {days} 天', en: 'Average age {days} days' },
  'slowMoving.summary': { 'zh-CN': '个 SKU × 仓库超过 {days} 天无出库', en: 'SKU × warehouse pairs without outbound for {days} days' },
  'slowMoving.sku': { 'zh-CN': '商品', en: 'Item' },
  'slowMoving.value': { 'zh-CN': '库存金额', en: 'Stock value' },
  'slowMoving.idle': { 'zh-CN': '呆滞天数', en: 'Idle days' },
  'slowMoving.idleDays': { 'zh-CN': '{days} 天', en: '{days} d' },
  'slowMoving.never': { 'zh-CN': '从未出库', en: 'Never shipped' },
  'slowMoving.lastOut': { 'zh-CN': '末次出库 {date}', en: 'Last out {date}' },
  'slowMoving.empty': { 'zh-CN': '暂无呆滞库存', en: 'No slow-moving stock' },
  // purchase-pipeline
  'pipeline.ordered': { 'zh-CN': '采购下单', en: 'Ordered' },
  'pipeline.received': { 'zh-CN': '到货入库', en: 'Received' },
  'pipeline.paid': { 'zh-CN': '付款', en: 'Paid' },
  'pipeline.ofOrdered': { 'zh-CN': '占下单', en: 'of ordered' },
  // margin-by-category
  'margin.overall': { 'zh-CN': '整体', en: 'Overall' },
  'margin.revenue': { 'zh-CN': '销售收入', en: 'Revenue' },
  'margin.margin': { 'zh-CN': '毛利率', en: 'Margin' },
  // supplier-scorecard
  'scorecard.supplier': { 'zh-CN': '供应商', en: 'Supplier' },
  'scorecard.receipts': { 'zh-CN': '入库额', en: 'Receipts' },
  'scorecard.onTime': { 'zh-CN': '准时率', en: 'On time' },
  'scorecard.returns': { 'zh-CN': '退货率', en: 'Returns' },
  // kpi-card
  'kpi.now': { 'zh-CN': '实时数', en: 'live figure' },
  // movement-ticker
  'ticker.quiet': { 'zh-CN': '暂无业务发生', en: 'No movements yet' },
  'ticker.cancelled': { 'zh-CN': '已冲销', en: 'reversed' },
  'ticker.matched': { 'zh-CN': '相符', en: 'matched' },
  'ticker.gain': { 'zh-CN': '盘盈', en: 'gain' },
  'ticker.loss': { 'zh-CN': '盘亏', en: 'loss' },
  // transfer-flow
  'transfer.unavailable': { 'zh-CN': '暂无调拨路线数据', en: 'No transfer routes' },
  'transfer.unavailableHint': { 'zh-CN': '服务器尚未提供调拨路线（route）维度', en: 'This server does not report transfer routes yet' },
  'transfer.none': { 'zh-CN': '本期暂无调拨', en: 'No transfers in this period' },
} as const satisfies Record<string, Phrase>

export type MessageKey = keyof typeof MESSAGES

/** Values for a phrase's `{name}` placeholders. */
export type MessageParams = Readonly<Record<string, string | number>>

/** Each language named in itself, for a language switch. */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = { 'zh-CN': '中文', en: 'EN' }

/** A phrase in a locale with its `{name}` placeholders filled in; a placeholder without a value stays as written. */
export function message(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  return MESSAGES[key][locale].replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole))
}

/** The `{name}` placeholders a text uses. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort()
}
