/**
 * Colours of the two screen themes, shared by every widget so a wall looks like one piece.
 * Dark is the big-screen default (bright figures on deep blue); light suits intranet embeds.
 */
import type { Locale } from '../define-widget.ts'

export type ThemeName = 'dark' | 'light'

export interface Palette {
  /** headline figures */
  figure: string
  /** body text, member names */
  text: string
  /** secondary labels, axis labels */
  muted: string
  /** axis lines, row separators */
  line: string
  /** grid split lines */
  split: string
  /** empty part of a bar or a gauge */
  track: string
  /** glow behind headline figures */
  glow: string
  tooltip: { backgroundColor: string; borderColor: string; textStyle: { color: string; fontSize: number } }
  /** categorical colours, in order */
  series: readonly string[]
  good: string
  warn: string
  bad: string
  /** gradient ends of the accent bars */
  accent: readonly [string, string]
}

const DARK: Palette = {
  figure: '#f4fbff',
  text: '#dbeaff',
  muted: '#8aa6cf',
  line: '#2a4a7f',
  split: 'rgba(64,130,220,0.16)',
  track: 'rgba(255,255,255,0.08)',
  glow: '0 0 18px rgba(59,232,255,0.45)',
  tooltip: { backgroundColor: 'rgba(8,24,56,0.94)', borderColor: '#2a7fff', textStyle: { color: '#e8f4ff', fontSize: 15 } },
  series: ['#3be8ff', '#ffb84d', '#7d6bff', '#3cffb0', '#ff6b9a', '#4d9bff', '#ffe066', '#b28dff', '#5cf2d6', '#ff8f5c'],
  good: '#3cffb0',
  warn: '#ffc14d',
  bad: '#ff6b6b',
  accent: ['#1c5cff', '#3be8ff'],
}

const LIGHT: Palette = {
  figure: '#0d1b33',
  text: '#1f3354',
  muted: '#5b6f8f',
  line: '#b8c6dc',
  split: 'rgba(40,70,120,0.12)',
  track: 'rgba(20,40,80,0.08)',
  glow: 'none',
  tooltip: { backgroundColor: 'rgba(255,255,255,0.97)', borderColor: '#9db4d8', textStyle: { color: '#1f3354', fontSize: 15 } },
  series: ['#1677ff', '#f08c00', '#6741d9', '#0ca678', '#d6336c', '#1098ad', '#e8b600', '#845ef7', '#12b886', '#f76707'],
  good: '#0ca678',
  warn: '#e67700',
  bad: '#e03131',
  accent: ['#1c5cff', '#22b8cf'],
}

export function palette(theme: ThemeName | undefined): Palette {
  return theme === 'light' ? LIGHT : DARK
}

/**
 * Colour of a rise and a fall: red for up and green for down in Chinese (the stock-market
 * convention a Chinese audience reads at a glance), green up and red down in English.
 */
export function trendColors(p: Palette, locale: Locale | undefined): { up: string; down: string } {
  return locale === 'en' ? { up: p.good, down: p.bad } : { up: p.bad, down: p.good }
}

/** CSS custom properties for a widget's root element (scoped styles read var(--w-…)). */
export function cssVars(p: Palette): Record<string, string> {
  return {
    '--w-figure': p.figure,
    '--w-text': p.text,
    '--w-muted': p.muted,
    '--w-line': p.line,
    '--w-split': p.split,
    '--w-track': p.track,
    '--w-glow': p.glow,
    '--w-good': p.good,
    '--w-warn': p.warn,
    '--w-bad': p.bad,
    '--w-accent-0': p.accent[0],
    '--w-accent-1': p.accent[1],
  }
}

/** A horizontal gradient between the accent colours, as ECharts wants it. */
export function accentGradient(p: Palette, vertical = false) {
  return {
    type: 'linear' as const,
    x: 0,
    y: vertical ? 1 : 0,
    x2: vertical ? 0 : 1,
    y2: 0,
    colorStops: [
      { offset: 0, color: p.accent[0] },
      { offset: 1, color: p.accent[1] },
    ],
  }
}
