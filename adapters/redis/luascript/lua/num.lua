-- num(n): an integer as a decimal string (Lua's own tostring would print large ones in exponent form).
local function num(n)
  return string.format('%.0f', n)
end
