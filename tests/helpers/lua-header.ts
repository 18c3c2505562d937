/**
 * The lists a Lua script's header documents: a line `-- … (Name): …` opens one, each
 * `--   field  …` line (three spaces) names a field, deeper-indented lines continue a description,
 * anything else closes the list. The header ends at the first line that is not a comment.
 */
export function luaHeaderLists(source: string): Map<string, string[]> {
  const lists = new Map<string, string[]>()
  let open: string[] | undefined
  for (const line of source.split('\n')) {
    if (!line.startsWith('--')) break
    const section = /^-- \S.*?\(([A-Z]\w*)\):/.exec(line)
    const field = /^-- {3}(\S+)/.exec(line)
    if (section) lists.set(section[1]!, (open = []))
    else if (field && open) open.push(field[1]!)
    else if (!/^-- {4,}\S/.test(line)) open = undefined
  }
  return lists
}
