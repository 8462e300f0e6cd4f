"""Realistic programs for the similarity engine tests: one problem, several candidates.

Problem: read a grid of '.', '#', 'S' and 'E' and print the length of the shortest path from S
to E (-1 when there is none). ``*_ORIGINAL`` is one candidate's solution, ``*_COPY`` another
candidate's disguised copy of it, ``*_INDEPENDENT`` a solution written separately.
"""

from __future__ import annotations

PY_STARTER = """import sys


def read_grid(text):
    return [list(line) for line in text.strip().splitlines()]


def shortest_path(grid):
    # TODO: return the length of the shortest path from S to E, or -1
    pass


def main():
    grid = read_grid(sys.stdin.read())
    print(shortest_path(grid))


if __name__ == "__main__":
    main()
"""

PY_ORIGINAL = """import sys
from collections import deque


def read_grid(text):
    return [list(line) for line in text.strip().splitlines()]


def find_cell(grid, marker):
    for row_index, row in enumerate(grid):
        for col_index, value in enumerate(row):
            if value == marker:
                return row_index, col_index
    raise ValueError("marker not found: " + marker)


def neighbours(grid, row, col):
    height = len(grid)
    width = len(grid[0])
    for d_row, d_col in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        next_row = row + d_row
        next_col = col + d_col
        if 0 <= next_row < height and 0 <= next_col < width:
            if grid[next_row][next_col] != "#":
                yield next_row, next_col


def bfs(grid, start):
    distances = {start: 0}
    parents = {start: None}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        for nxt in neighbours(grid, cell[0], cell[1]):
            if nxt not in distances:
                distances[nxt] = distances[cell] + 1
                parents[nxt] = cell
                queue.append(nxt)
    return distances, parents


def rebuild_path(parents, end):
    path = []
    cell = end
    while cell is not None:
        path.append(cell)
        cell = parents[cell]
    path.reverse()
    return path


def shortest_path(grid):
    start = find_cell(grid, "S")
    end = find_cell(grid, "E")
    distances, parents = bfs(grid, start)
    if end not in distances:
        return -1
    path = rebuild_path(parents, end)
    if len(path) - 1 != distances[end]:
        raise RuntimeError("inconsistent path")
    return distances[end]


def main():
    grid = read_grid(sys.stdin.read())
    print(shortest_path(grid))


if __name__ == "__main__":
    main()
"""

# Renamed identifiers, functions reordered, comments, blank lines, a docstring and reworded
# string literals; the program still does exactly the same thing.
PY_COPY = '''import sys
from collections import deque


def read_grid(text):
    return [list(line) for line in text.strip().splitlines()]


def trace_back(came_from, goal):
    """Walk the parent links back to the start."""
    route = []
    node = goal

    while node is not None:
        route.append(node)  # collect
        node = came_from[node]
    route.reverse()
    return route


def adjacent(board, r, c):
    # stay inside the board and skip walls
    rows = len(board)
    cols = len(board[0])
    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):

        nr = r + dr
        nc = c + dc
        if 0 <= nr < rows and 0 <= nc < cols:
            if board[nr][nc] != "X":
                yield nr, nc


def shortest_path(grid):
    # my own solution!!
    src = locate(grid, "start")
    dst = locate(grid, "end")
    dist, came_from = explore(grid, src)
    if dst not in dist:
        return -1

    route = trace_back(came_from, dst)
    if len(route) - 1 != dist[dst]:
        raise RuntimeError("something went wrong")
    return dist[dst]


def locate(board, symbol):
    # scan every row
    for i, line in enumerate(board):
        for j, ch in enumerate(line):
            if ch == symbol:
                return i, j
    raise ValueError("cannot find " + symbol)


def explore(board, origin):
    dist = {origin: 0}
    came_from = {origin: None}
    todo = deque([origin])
    while todo:
        here = todo.popleft()
        # visit the four neighbours
        for there in adjacent(board, here[0], here[1]):
            if there not in dist:
                dist[there] = dist[here] + 1
                came_from[there] = here
                todo.append(there)
    return dist, came_from


def main():
    grid = read_grid(sys.stdin.read())
    print(shortest_path(grid))


if __name__ == "__main__":
    main()
'''

# The copy's function names for the original's.
PY_COPY_RENAMES = {
    "find_cell": "locate",
    "neighbours": "adjacent",
    "bfs": "explore",
    "rebuild_path": "trace_back",
    "shortest_path": "shortest_path",
}

PY_INDEPENDENT = """import sys


def read_grid(text):
    return [list(line) for line in text.strip().splitlines()]


def locate(grid):
    start = end = None
    for r in range(len(grid)):
        for c in range(len(grid[r])):
            if grid[r][c] == "S":
                start = (r, c)
            elif grid[r][c] == "E":
                end = (r, c)
    return start, end


def is_open(grid, r, c):
    return 0 <= r < len(grid) and 0 <= c < len(grid[r]) and grid[r][c] != "#"


def expand(grid, frontier, seen):
    new_frontier = set()
    for r, c in frontier:
        for nr, nc in [(r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)]:
            if (nr, nc) not in seen and is_open(grid, nr, nc):
                seen.add((nr, nc))
                new_frontier.add((nr, nc))
    return new_frontier


def shortest_path(grid):
    start, end = locate(grid)
    if start is None or end is None:
        return -1
    frontier = {start}
    seen = {start}
    steps = 0
    while frontier:
        if end in frontier:
            return steps
        frontier = expand(grid, frontier, seen)
        steps += 1
    return -1


def count_walls(grid):
    total = 0
    for row in grid:
        total += row.count("#")
    return total


def main():
    grid = read_grid(sys.stdin.read())
    print(shortest_path(grid))


if __name__ == "__main__":
    main()
"""

JS_STARTER = """const fs = require("fs");

function readGrid(text) {
  return text.trim().split("\\n").map((line) => line.split(""));
}

function shortestPath(grid) {
  // TODO: return the length of the shortest path from S to E, or -1
  return -1;
}

console.log(shortestPath(readGrid(fs.readFileSync(0, "utf8"))));
"""

JS_ORIGINAL = """const fs = require("fs");

function readGrid(text) {
  return text.trim().split("\\n").map((line) => line.split(""));
}

function findCell(grid, marker) {
  for (let row = 0; row < grid.length; row++) {
    for (let col = 0; col < grid[row].length; col++) {
      if (grid[row][col] === marker) {
        return [row, col];
      }
    }
  }
  throw new Error(`marker ${marker} not found`);
}

function neighbours(grid, row, col) {
  const result = [];
  const moves = [[1, 0], [-1, 0], [0, 1], [0, -1]];
  for (const [dRow, dCol] of moves) {
    const nextRow = row + dRow;
    const nextCol = col + dCol;
    if (nextRow < 0 || nextRow >= grid.length) continue;
    if (nextCol < 0 || nextCol >= grid[0].length) continue;
    if (grid[nextRow][nextCol] !== "#") {
      result.push([nextRow, nextCol]);
    }
  }
  return result;
}

function key(cell) {
  return cell[0] + "," + cell[1];
}

function bfs(grid, start) {
  const distances = new Map([[key(start), 0]]);
  const queue = [start];
  let head = 0;
  while (head < queue.length) {
    const cell = queue[head++];
    const base = distances.get(key(cell));
    for (const next of neighbours(grid, cell[0], cell[1])) {
      if (!distances.has(key(next))) {
        distances.set(key(next), base + 1);
        queue.push(next);
      }
    }
  }
  return distances;
}

function shortestPath(grid) {
  const start = findCell(grid, "S");
  const end = findCell(grid, "E");
  const distances = bfs(grid, start);
  if (!distances.has(key(end))) {
    return -1;
  }
  return distances.get(key(end));
}

console.log(shortestPath(readGrid(fs.readFileSync(0, "utf8"))));
"""

JS_COPY = """const fs = require("fs");

function readGrid(text) {
  return text.trim().split("\\n").map((line) => line.split(""));
}

function id(p) {
  return p[0] + ":" + p[1];
}

function shortestPath(grid) {
  const src = locate(grid, "start");
  const to = locate(grid, "goal");
  const dist = explore(grid, src);
  if (!dist.has(id(to))) {
    return -1;
  }
  return dist.get(id(to));
}

function around(board, r, c) {
  const out = [];
  const steps = [[1, 0], [-1, 0], [0, 1], [0, -1]];
  for (const [dr, dc] of steps) {
    const nr = r + dr;
    const nc = c + dc;

    if (nr < 0 || nr >= board.length) continue;
    if (nc < 0 || nc >= board[0].length) continue;
    if (board[nr][nc] !== "X") {
      out.push([nr, nc]);
    }
  }
  return out;
}

/* BFS over the board */
function explore(board, origin) {
  const dist = new Map([[id(origin), 0]]);
  const pending = [origin];

  let front = 0;
  while (front < pending.length) {
    const here = pending[front++];
    const d = dist.get(id(here));
    // look around
    for (const there of around(board, here[0], here[1])) {
      if (!dist.has(id(there))) {
        dist.set(id(there), d + 1);
        pending.push(there);
      }
    }
  }
  return dist;
}

// find where a symbol is
function locate(board, symbol) {
  for (let i = 0; i < board.length; i++) {
    for (let j = 0; j < board[i].length; j++) {
      if (board[i][j] === symbol) {
        return [i, j];
      }
    }
  }
  throw new Error(`no ${symbol} on the board`);
}

console.log(shortestPath(readGrid(fs.readFileSync(0, "utf8"))));
"""

JS_COPY_RENAMES = {
    "findCell": "locate",
    "key": "id",
    "neighbours": "around",
    "bfs": "explore",
    "shortestPath": "shortestPath",
}

JS_INDEPENDENT = """const fs = require("fs");

function readGrid(text) {
  return text.trim().split("\\n").map((line) => line.split(""));
}

class Board {
  constructor(grid) {
    this.grid = grid;
    this.height = grid.length;
    this.width = grid.length ? grid[0].length : 0;
  }

  positionOf(symbol) {
    const flat = this.grid.flat();
    const index = flat.indexOf(symbol);
    return index < 0 ? null : { r: Math.floor(index / this.width), c: index % this.width };
  }

  isFree(r, c) {
    return r >= 0 && c >= 0 && r < this.height && c < this.width && this.grid[r][c] !== "#";
  }
}

function shortestPath(grid) {
  const board = new Board(grid);
  const start = board.positionOf("S");
  const goal = board.positionOf("E");
  if (start === null || goal === null) return -1;

  const visited = Array.from({ length: board.height }, () => new Array(board.width).fill(false));
  visited[start.r][start.c] = true;
  let layer = [start];
  let steps = 0;

  while (layer.length > 0) {
    if (layer.some((p) => p.r === goal.r && p.c === goal.c)) {
      return steps;
    }
    const nextLayer = [];
    layer.forEach(({ r, c }) => {
      [[r + 1, c], [r - 1, c], [r, c + 1], [r, c - 1]].forEach(([nr, nc]) => {
        if (board.isFree(nr, nc) && !visited[nr][nc]) {
          visited[nr][nc] = true;
          nextLayer.push({ r: nr, c: nc });
        }
      });
    });
    layer = nextLayer;
    steps += 1;
  }
  return -1;
}

console.log(shortestPath(readGrid(fs.readFileSync(0, "utf8"))));
"""
