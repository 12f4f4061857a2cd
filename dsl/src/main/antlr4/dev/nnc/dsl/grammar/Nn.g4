/*
 * The .nn language: models, reusable blocks and training settings.
 *
 * Layer and op names are ordinary identifiers resolved by the semantic check, so adding a layer
 * never changes this grammar. Statements need no separator: a statement starts with a name and
 * `=` (or `return`), and no expression can be followed directly by a name, so the end of an
 * expression is always unambiguous and a pipeline may continue on the next line with `|>`.
 */
grammar Nn;

program    : decl* EOF ;

decl       : modelDecl
           | blockDecl
           | trainDecl
           ;

modelDecl  : MODEL name=ID '(' paramList? ')' '->' outputs body ;
outputs    : ID                                   # singleOutput
           | '(' ID (',' ID)* ')'            # outputTuple
           ;
blockDecl  : BLOCK name=ID '(' paramList? ')' body ;
body       : '{' (stmt | ';')* '}' ;

paramList  : param (',' param)* ;
param      : ID (':' typeRef)? ('=' expr)? ;

typeRef    : dtype=ID '[' dim (',' dim)* ']'      # tensorType
           | ID                                   # scalarType
           ;
dim        : INT                                  # literalDim
           | ID ('<=' INT)?                       # symbolicDim
           ;

stmt       : ID '=' expr                          # letStmt
           | RETURN expr                          # returnStmt
           ;

/* Alternatives are listed from the tightest binding to the loosest; `|>` binds loosest. */
expr       : callee=ID callArgs                   # callExpr
           | ID                                   # nameExpr
           | INT                                  # intExpr
           | FLOAT                                # floatExpr
           | (TRUE | FALSE)                       # boolExpr
           | STRING                               # stringExpr
           | '(' expr ')'                         # parenExpr
           | '-' expr                             # negExpr
           | expr op=('*' | '/') expr             # mulExpr
           | expr op=('+' | '-') expr             # addExpr
           | expr '|>' callee=ID callArgs?        # pipeExpr
           ;
callArgs   : '(' (arg (',' arg)*)? ')' ;
arg        : (ID '=')? expr ;

trainDecl  : TRAIN model=ID '{' (trainItem | ';')* '}' ;
trainItem  : TARGET ID ':' typeRef                            # targetItem
           | EARLY_STOP PATIENCE INT ON ID                    # earlyStopItem
           | key=ID name=ID ':' typeRef                       # declItem      // noise z: f32[B, 64]
           | key=ID ID (',' ID)+                              # listItem      // models Generator, Discriminator
           | key=ID name=ID '{' (trainItem | ';')* '}'        # sectionItem   // step generator { … }
           | key=ID name=ID '=' expr                          # namedItem     // metric d_fake = …
           | key=ID expr                                      # settingItem
           ;

MODEL      : 'model' ;
BLOCK      : 'block' ;
TRAIN      : 'train' ;
RETURN     : 'return' ;
TRUE       : 'true' ;
FALSE      : 'false' ;
TARGET     : 'target' ;
EARLY_STOP : 'early_stop' ;
PATIENCE   : 'patience' ;
ON         : 'on' ;

LPAREN     : '(' ;
RPAREN     : ')' ;
LBRACE     : '{' ;
RBRACE     : '}' ;
LBRACKET   : '[' ;
RBRACKET   : ']' ;
COMMA      : ',' ;
COLON      : ':' ;
SEMI       : ';' ;
ARROW      : '->' ;
PIPE       : '|>' ;
LE         : '<=' ;
ASSIGN     : '=' ;
PLUS       : '+' ;
MINUS      : '-' ;
STAR       : '*' ;
SLASH      : '/' ;

ID         : [a-zA-Z_] [a-zA-Z_0-9]* ;
FLOAT      : DIGITS '.' DIGITS? EXPONENT?
           | '.' DIGITS EXPONENT?
           | DIGITS EXPONENT
           ;
INT        : DIGITS ;
STRING     : '"' STRING_CHAR* '"' ;
/* A string that reaches the end of its line; Dsl reports it and the parser sees a STRING. */
UNTERMINATED_STRING : '"' STRING_CHAR* ;

COMMENT    : '#' ~[\r\n]* -> skip ;
WS         : [ \t\r\n\f]+ -> skip ;
/* Any other character; Dsl reports it and drops it before parsing. */
BAD_CHAR   : . ;

fragment DIGITS      : [0-9]+ ;
fragment EXPONENT    : [eE] [+-]? DIGITS ;
fragment STRING_CHAR : ~["\\\r\n] | '\\' ~[\r\n] ;
