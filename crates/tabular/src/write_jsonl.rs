//! JSONL output: one object per row keyed by column key.

use serde_json::{Map, Number, Value};

use crate::{Cell, Table, TabularError};

pub(crate) fn write(table: &Table) -> Result<Vec<u8>, TabularError> {
    let mut out = Vec::new();
    for row in table.padded_rows() {
        let mut object = Map::new();
        for (column, cell) in table.columns.iter().zip(row) {
            let value = match cell {
                Cell::Empty => continue,
                Cell::Text(s) => Value::String(s.clone()),
                // validate() already rejected non-finite numbers.
                Cell::Number(n) => Number::from_f64(*n).map_or(Value::Null, Value::Number),
                Cell::Int(i) => Value::from(*i),
            };
            object.insert(column.key.clone(), value);
        }
        serde_json::to_writer(&mut out, &object)
            .map_err(|e| TabularError::InvalidTable(format!("cannot write JSON: {e}")))?;
        out.push(b'\n');
    }
    Ok(out)
}
